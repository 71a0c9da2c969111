"""The API answers no OPTIONS (`DEFAULT_METADATA_CLASS` None: 405, as any method an
endpoint lacks), and so does not offer it: DRF lists a view's methods in every answer's
`Allow` header from the handlers it has, and `APIView` has `options` — so every `Allow`
named OPTIONS, which then answered 405. `install()`, from `KeyaccountsConfig.ready`,
leaves OPTIONS out of `allowed_methods` where there is no metadata to answer it with."""

from rest_framework.views import APIView


def install() -> None:
    original = APIView.allowed_methods
    if getattr(original.fget, "without_options", False):
        return

    def allowed_methods(self):
        methods = original.fget(self)
        if self.metadata_class is None:
            methods = [method for method in methods if method != "OPTIONS"]
        return methods

    allowed_methods.without_options = True
    APIView.allowed_methods = property(allowed_methods)
