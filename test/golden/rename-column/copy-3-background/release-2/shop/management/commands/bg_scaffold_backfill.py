# Written by bg-scaffold: `python manage.py bg_scaffold_backfill` works the background backfills
# that migrations registered (--backfill background), in batches, resumable, several workers at once.
# The command is the runtime copy beside the migrations; this module only lets Django find it.
from ...migrations._bg_scaffold_v7 import BackfillCommand as Command

__all__ = ["Command"]
