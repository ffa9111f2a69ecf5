from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class RevocableJWTScheme(SimpleJWTScheme):
    """Document our JWT authentication exactly like simplejwt's (Bearer token)."""

    target_class = "accounts.authentication.RevocableJWTAuthentication"
    name = "jwtAuth"
