"""``qingshou users token create USER --name N [--days D]`` / ``revoke USER --name N`` / ``list USER``:
bearer tokens for the JSON API (docs/api.md).

The ``token`` group is attached to the ``users`` group of ``qingshou.cli.users`` (so this module adds no
top-level command). The token is printed once, on creation; only its SHA-256 is stored.
"""

from __future__ import annotations

import click

from qingshou.cli import EXIT_USAGE, fail, setup_django
from qingshou.cli.render import print_json
from qingshou.cli.users import users


@users.group("token")
def token() -> None:
    """API 令牌 Bearer tokens of the JSON API."""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for (unique among the user's active tokens).")
@click.option(
    "--days", type=click.IntRange(min=1), default=None, help="Expire after D days (default: never)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def create(username: str, name: str, days: int | None, as_json: bool) -> None:
    """Create a token for USERNAME and print it (once: it cannot be shown again)."""
    setup_django()
    from qingshou.apps.api.tokens import TokenError, create_token

    try:
        created = create_token(username, name, days=days)
    except TokenError as error:
        fail(error, EXIT_USAGE)
        return
    expires = created.token.expires_at.isoformat() if created.token.expires_at else None
    if as_json:
        print_json({"username": username, "name": name, "token": created.key, "expires_at": expires})
        return
    click.echo(
        f"令牌 token for {username} ({name}), expires {expires or 'never'} — shown once, keep it safe:"
    )
    click.echo(created.key)


@token.command("revoke")
@click.argument("username")
@click.option("--name", required=True, help="The token's name.")
def revoke(username: str, name: str) -> None:
    """Revoke USERNAME's active token NAME (every call with it answers 401 from now on)."""
    setup_django()
    from qingshou.apps.api.tokens import TokenError, revoke_token

    try:
        revoke_token(username, name)
    except TokenError as error:
        fail(error, EXIT_USAGE)
        return
    click.echo(f"已吊销 revoked: {username} {name}")


@token.command("list")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_tokens(username: str, as_json: bool) -> None:
    """USERNAME's tokens (name, prefix, created, last used, expires, revoked) — never the token itself."""
    setup_django()
    from qingshou.apps.api.models import ApiToken

    rows = [
        {
            "name": row.name,
            "prefix": row.prefix,
            "created_at": row.created_at.isoformat(),
            "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            "revoked": row.revoked,
        }
        for row in ApiToken.objects.filter(user__username=username).order_by("created_at")
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['name']}\t{row['prefix']}…\tcreated {row['created_at']}\tlast used {row['last_used_at']}"
            f"\texpires {row['expires_at']}\t{'revoked' if row['revoked'] else 'active'}"
        )


#: Nothing at the top level: ``token`` hangs under ``users`` (see the module docstring).
COMMANDS: list[click.Command] = []
