"""Build and install mod_wsgi_ext: `pip install .` compiles the Apache module with cffi."""
from setuptools import find_packages, setup

setup(
    name="mod_wsgi_ext",
    version="0.1.0",
    description="Run WSGI applications inside Apache httpd 2.4 (mod_wsgi-compatible, cffi-built)",
    packages=find_packages(include=["mod_wsgi_ext", "mod_wsgi_ext.*", "wsgi_phases",
                                    "wsgi_phases.*"]),
    package_data={"mod_wsgi_ext": ["_csrc/*.c", "_csrc/*.h", "_cdefs/*.h", "templates/*",
                                   "examples/*"]},
    python_requires=">=3.9",
    setup_requires=["cffi>=1.15"],
    install_requires=["cffi>=1.15"],
    cffi_modules=["mod_wsgi_ext/_build/builder.py:ffi"],
    entry_points={"console_scripts": ["mod-wsgi-ext=mod_wsgi_ext.cli:main"]},
    zip_safe=False,
)
