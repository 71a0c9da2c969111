"""The integration token in the OpenAPI schema (imported by the app's ready())."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "keyaccounts.integrations.auth.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration token (`ka_…`) from your profile page: read-only "
            "or read-write, for some record types, until it expires. A write it may not "
            "make, or a record type outside its scope, answers 403.",
        }
