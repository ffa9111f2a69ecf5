"""Start the test OpenID provider: ``python -m sso.tests.oidc_provider.serve CONFIG_JSON``.

Binds 127.0.0.1 on a free port (port 0), writes the issuer into the configuration, creates the
users and client applications it names, prints one JSON line ``{"issuer": ...}`` and serves
until killed.
"""

import json
import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main() -> None:
    config_path = Path(sys.argv[1])
    config = json.loads(config_path.read_text())
    server = make_server(
        "127.0.0.1", 0, lambda e, s: [], server_class=ThreadingServer, handler_class=QuietHandler
    )
    config["issuer"] = f"http://127.0.0.1:{server.server_port}/o"
    config_path.write_text(json.dumps(config))

    os.environ["OIDC_TEST_PROVIDER_CONFIG"] = str(config_path)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sso.tests.oidc_provider.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for username, user in config["users"].items():
        User.objects.create_user(username=username, password=user["password"])
    for name, client in config["clients"].items():
        Application.objects.create(
            name=name,
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=client["redirect_uri"],
            post_logout_redirect_uris=client["post_logout_redirect_uri"],
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
    server.set_app(WSGIHandler())
    print(json.dumps({"issuer": config["issuer"]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
