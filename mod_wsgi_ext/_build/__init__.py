"""Build-time only: Apache/APR flag discovery, directive table generation, the single FFI()."""
