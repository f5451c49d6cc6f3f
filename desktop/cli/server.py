"""`polyclinic server init`: the clinic's PostgreSQL server for several desks
(desktop/store/server.py does the work)."""
from __future__ import annotations

import sys
from pathlib import Path

from . import common
from .common import EXIT_INVALID, EXIT_OK, emit_errors, print_json


COMMANDS = ("server",)  # the commands add_commands adds


def add_commands(sub) -> None:
    p = sub.add_parser("server", help="the clinic's PostgreSQL server for several desks")
    server = p.add_subparsers(dest="server_command", required=True)
    init = server.add_parser("init", help="set up the server: cluster (UTF-8, scram-sha-256, LAN), "
                                          "database, owner and desk roles; prints the desks' URL")
    init.add_argument("--data", type=Path, metavar="DIR", help="create a new cluster in DIR")
    init.add_argument("--superuser-url", metavar="URL",
                      help="or use an existing server, reached as its superuser")
    init.add_argument("--port", type=int, default=5432)
    init.add_argument("--listen", default="*", help="addresses to listen on (default: all)")
    init.add_argument("--allow", default="samenet",
                      help="pg_hba address the desks connect from (default: the server's subnets)")
    init.add_argument("--database", default="polyclinic")
    init.add_argument("--owner", default="polyclinic_owner", help="role owning the tables")
    init.add_argument("--desk", default="polyclinic_desk",
                      help="role the desks connect as: reads and writes the registry but deletes "
                           "nothing, reads no password hash, and signs in, changes accounts and "
                           "appends to the HMAC-keyed audit chain only through the owner's "
                           "SECURITY DEFINER functions, which check the signed-in user on the "
                           "server")
    init.add_argument("--host", help="the server's name or address in the printed URLs")
    init.set_defaults(func=cmd_server_init)


def cmd_server_init(args) -> int:
    """server init: see desktop/store/server.py."""
    from desktop.store import StoreError
    from desktop.store.server import server_init

    try:
        result = server_init(data=args.data, superuser_url=args.superuser_url, port=args.port,
                             listen=args.listen, allow=args.allow, database=args.database,
                             owner=args.owner, desk=args.desk, host=args.host,
                             reference=common.bundled_reference(), now=common.now())
    except ValueError as exc:
        emit_errors([{"field": "", "message": str(exc)}])
        return EXIT_INVALID
    except StoreError as exc:
        return common.fail(f"polyclinic server init: {exc}")
    print_json(result)
    sys.stderr.write("Укажите на каждом окне — at each desk: --db (или POLYCLINIC_DB) "
                     f"{result['desk_url']}\n")
    return EXIT_OK
