int wx_py_boot(void);
