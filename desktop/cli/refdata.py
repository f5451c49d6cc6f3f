"""`polyclinic refdata build|import|rollback|list|keygen`: the reference data (the law as
data), built from db/sources, signed into packages, imported from a file at the clinic."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import common
from .common import EXIT_INVALID, EXIT_OK, emit_errors


COMMANDS = ("refdata",)  # the commands add_commands adds


def add_commands(sub) -> None:
    r = sub.add_parser("refdata", help="reference data: build, import, rollback, list, keygen")
    r.add_argument("action", choices=("build", "import", "rollback", "list", "keygen"))
    r.add_argument("file", nargs="?", help="import: the package file (e.g. from a USB stick)")
    r.add_argument("--sources", help="build: source folder (default db/sources)")
    r.add_argument("--out", help="build: output file (default resources/reference.sqlite); "
                                 "keygen: file name stem")
    r.add_argument("--package", help="build: also write a signed update package to this file")
    r.add_argument("--key", help="build: the publisher's private key (default: the development key)")
    r.add_argument("--allow-older", action="store_true",
                   help="import: accept a release older than the one in force")
    common.credentials(r)
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=cmd_refdata)


def cmd_refdata(args) -> int:
    if args.action == "build":
        return _build(args)
    if args.action == "keygen":
        return _keygen(args)
    if args.action == "list":
        return _list(args)
    return _change(args)


def _build(args) -> int:
    from desktop.core.refbuild import SourceError, build_reference
    from desktop.paths import app_root, bundled_reference, sources_dir

    src = Path(args.sources) if args.sources else sources_dir()
    out = Path(args.out) if args.out else bundled_reference()
    try:
        version = build_reference(src, out)
    except SourceError as e:
        sys.stderr.write(f"polyclinic refdata build: {e}\n")
        return EXIT_INVALID
    result = {"version": version, "file": str(out)}
    if args.package:
        from desktop.core.refpackage import build_package

        key = Path(args.key) if args.key else app_root() / "db" / "keys" / "dev-publisher.pem"
        try:
            pem = key.read_bytes()
        except OSError as e:
            sys.stderr.write(f"polyclinic refdata build: cannot read the signing key {key}: {e}\n")
            return EXIT_INVALID
        manifest = build_package(out, Path(args.package), pem)
        result.update(package=str(args.package), sha256=manifest["database"]["sha256"])
    if not args.quiet:
        print(json.dumps(result, ensure_ascii=False))
    return EXIT_OK


def _keygen(args) -> int:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not args.out:
        emit_errors([{"field": "--out", "message": "name the key files: --out NAME writes "
                                                    "NAME.pem and NAME.pub"}])
        return EXIT_INVALID
    k = Ed25519PrivateKey.generate()
    private = k.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    try:  # the private key: created 0600, never over an existing file
        fd = os.open(args.out + ".pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        emit_errors([{"field": "--out", "message": f"{args.out}.pem exists: a key is never overwritten"}])
        return EXIT_INVALID
    with os.fdopen(fd, "wb") as fh:
        fh.write(private)
    Path(args.out + ".pub").write_bytes(
        k.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo))
    print(json.dumps({"private": args.out + ".pem", "public": args.out + ".pub"}))
    return EXIT_OK


@common.guarded
def _list(args) -> int:
    from desktop.core.refinstall import installed

    common.load_ref(args)
    if common.is_server(args):
        from desktop.store.releases import listing

        with common.server_engine(args) as engine:
            releases = [{k: r[k] for k in ("version", "issued", "file", "active")}
                        for r in listing(engine)]
        print(json.dumps(releases, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(json.dumps(installed(common.db_path(args)), ensure_ascii=False, indent=1))
    return EXIT_OK


@common.guarded
def _change(args) -> int:
    """Import a package or roll back: administrators only, audited, atomic."""
    from desktop.core.refpackage import PackageError, import_package, rollback
    from desktop.paths import trusted_key_dirs

    ref = common.load_ref(args)
    moment = common.now()
    with common.open_registry(args, ref) as registry:
        common.authenticate(registry, args, moment, admin=True)
        try:
            if args.action == "import":
                if not args.file:
                    emit_errors([{"field": "FILE", "message": "name the package file to import"}])
                    return EXIT_INVALID
                if registry.location.is_server:  # the clinic's release, on the server
                    from desktop.store.releases import import_to_server

                    res = import_to_server(registry.engine, common.db_path(args), Path(args.file),
                                           trusted_key_dirs(), user=args.user, now=moment,
                                           today=common.today(), allow_older=args.allow_older)
                else:
                    res = import_package(common.db_path(args), Path(args.file), trusted_key_dirs(),
                                         allow_older=args.allow_older, today=common.today())
                registry.log(user=args.user, action="refdata_import", obj=f"refdata:{res.version}",
                             now=moment, details={"previous": res.previous, "file": str(args.file)})
                print(json.dumps({"version": res.version, "previous": res.previous},
                                 ensure_ascii=False))
                return EXIT_OK
            if registry.location.is_server:
                from desktop.store.releases import rollback_on_server

                version = rollback_on_server(registry.engine, user=args.user, now=moment).version
            else:
                version = rollback(common.db_path(args))
            registry.log(user=args.user, action="refdata_rollback", obj=f"refdata:{version}",
                         now=moment, details={"from": ref.version})
            print(json.dumps({"version": version, "previous": ref.version}, ensure_ascii=False))
            return EXIT_OK
        except PackageError as e:
            if e.reason == "disk_full":   # not the package's fault: exit 1, a message
                return common.fail(str(e))
            emit_errors([{"field": "FILE", "reason": e.reason, "message": str(e)}])
            return EXIT_INVALID
