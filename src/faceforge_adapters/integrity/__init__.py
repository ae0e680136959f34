"""Integrity scans of the live store: what each provider holds, and the leftovers of uploads."""
