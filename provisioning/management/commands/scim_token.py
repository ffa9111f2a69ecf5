"""``manage.py scim_token create NAME | revoke NAME | list``: bearer tokens for identity
providers that provision people and teams through ``/scim/v2/``."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisioning import selectors, services
from resonance.exceptions import DomainError


class Command(BaseCommand):
    help = "Create, revoke or list the SCIM bearer tokens of identity providers."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser(
            "create", help="Make a token; it is printed once, on the last line."
        )
        create.add_argument("name", help="Which identity provider holds it, e.g. entra-id.")
        revoke = actions.add_parser("revoke", help="Refuse a token from now on.")
        revoke.add_argument("name")
        actions.add_parser("list", help="Every token: name, created, last used, revoked.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                token, raw = services.scim_token_create(name=options["name"])
                self.stdout.write(
                    f"Made the SCIM token {token.name!r}. It is shown only this once: paste it "
                    "into the identity provider as the secret token, with the tenant URL "
                    "https://<your host>/scim/v2/."
                )
                self.stdout.write(raw)
            elif options["action"] == "revoke":
                token = services.scim_token_revoke(name=options["name"])
                self.stdout.write(f"Revoked the SCIM token {token.name!r}.")
            else:
                self._list()
        except DomainError as error:
            raise CommandError(error.message) from None

    def _list(self) -> None:
        tokens = list(selectors.scim_tokens())
        if not tokens:
            self.stdout.write("No SCIM tokens.")
        for token in tokens:
            self.stdout.write(
                f"{token.name}\tcreated {token.created_at:%Y-%m-%d %H:%M}"
                f"\tlast used {_when(token.last_used_at)}"
                f"\t{'revoked ' + _when(token.revoked_at) if token.revoked_at else 'active'}"
            )


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"
