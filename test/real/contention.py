"""Lock contention for test/real/lock-retries.test.ts: a long reader, and the serving code's writes.

    contention.py hold --table shop_order --until-file FILE [--max-seconds 600]
        Another session reads the table and keeps its transaction open (ACCESS SHARE), like a
        long report. Prints "holding" once it has the lock, then ends its transaction once FILE
        exists (the test releases it when the migration has shown what it does meanwhile, so
        that a slow start of migrate on a busy machine cannot outlast the reader).

    contention.py write --project DIR --stop-file FILE
        The previous release writing through its own ORM (the code in DIR): creates an order and
        saves another one every 20 ms until FILE exists, then prints one JSON line with the
        number of writes, the slowest write (the write stall) in seconds and any errors.

DATABASE_URL names the database, as for manage.py.
"""

import argparse
import json
import os
import sys
import time


def hold(table, until_file, max_seconds):
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1')  # opens the transaction
        print("holding", flush=True)
        deadline = time.monotonic() + max_seconds
        while not os.path.exists(until_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        conn.rollback()


def write(project, stop_file):
    sys.path.insert(0, project)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from shop.models import Customer, Order, Product

    customer, product = Customer.objects.first(), Product.objects.first()
    writes, worst, errors = 0, 0.0, []
    print("writing", flush=True)
    while not os.path.exists(stop_file):
        started = time.monotonic()
        try:
            order = Order.objects.create(customer=customer, product=product, quantity=1)
            order.quantity = 2
            order.save()  # an UPDATE naming every column, as the ORM does
            writes += 2
        except Exception as error:  # reported, not raised: the test asserts on it
            errors.append(f"{type(error).__name__}: {error}")
        worst = max(worst, time.monotonic() - started)
        time.sleep(0.02)
    print(json.dumps({"writes": writes, "worst": worst, "errors": errors[:5]}))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    holding = commands.add_parser("hold")
    holding.add_argument("--table", required=True)
    holding.add_argument("--until-file", required=True)
    holding.add_argument("--max-seconds", type=float, default=600)
    writing = commands.add_parser("write")
    writing.add_argument("--project", required=True)
    writing.add_argument("--stop-file", required=True)
    args = parser.parse_args()
    if args.command == "hold":
        hold(args.table, args.until_file, args.max_seconds)
    else:
        write(args.project, args.stop_file)


if __name__ == "__main__":
    main()
