void wx_log_server(int level, const char *msg);
