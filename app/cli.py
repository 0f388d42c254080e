"""The ``convlab`` command: serve the lab (and, from app.mnist, train / evaluate / data)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from app.config import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=None if args.reload else args.workers,
        reload=args.reload,
        log_level=get_settings().log_level,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="convlab", description="ConvLab: convolutional networks, from hand to trained CNN."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="start the web app",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    serve.add_argument("--host", default=settings.host, help="interface to bind")
    serve.add_argument("--port", type=int, default=settings.port, help="TCP port")
    serve.add_argument("--workers", type=int, default=settings.workers, help="worker processes")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.set_defaults(func=_serve)
    _add_mnist_commands(sub)
    db = sub.add_parser("db", help="the class sessions database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser(
        "upgrade", help="run the migrations on CONVLAB_DATABASE_URL (or the SQLite file)"
    ).set_defaults(func=_db_upgrade)
    db_sub.add_parser(
        "scratch",
        help="start a throw-away PostgreSQL on a free local port, print its URL, delete it on "
        "Ctrl-C (to try several replicas on one database)",
    ).set_defaults(func=_db_scratch)
    return parser


def _db_upgrade(args: argparse.Namespace) -> int:
    from app.sessions.db import Database, upgrade

    settings = get_settings()
    db = Database(settings.sessions_database_url())
    try:
        upgrade(db.engine)
    finally:
        db.close()
    print(f"sessions database at the newest schema: {db.engine.url.render_as_string()}")
    return 0


def _db_scratch(args: argparse.Namespace) -> int:
    import signal
    import threading

    from app.sessions.db import Database, upgrade
    from app.sessions.scratch import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL binaries not found (apt-get install postgresql, or set CONVLAB_PG_BIN)")
        return 1
    server = PostgresServer(bin_dir).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        url = server.new_database()
        db = Database(url)
        upgrade(db.engine)
        db.close()
        print(f"CONVLAB_DATABASE_URL={url}", flush=True)
        print(f"a throw-away server in {server.root}: Ctrl-C stops it and deletes it", flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _add_mnist_commands(sub: argparse._SubParsersAction) -> None:
    """``train``, ``evaluate`` and ``data``, whose arguments live beside their code in app.mnist."""
    from app.mnist import data, evaluate, train

    train_parser = sub.add_parser("train", help="train the cnn or fc MNIST model")
    train.build_parser(train_parser)
    train_parser.set_defaults(func=train.run)
    evaluate_parser = sub.add_parser(
        "evaluate", help="test accuracy, confusion matrix and shift table"
    )
    evaluate.build_parser(evaluate_parser)
    evaluate_parser.set_defaults(func=evaluate.run)
    data.build_parser(sub.add_parser("data", help="download or verify the MNIST files"))
    from app.experiments import cli as experiments_cli

    experiments_cli.build_parser(
        sub.add_parser("experiment", help="run the experiments, their reference, their data")
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
