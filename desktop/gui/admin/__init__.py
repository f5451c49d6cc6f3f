"""Administration: the menu, clinic details, price list, reference data, backups, users, audit log,
worklist, export."""
