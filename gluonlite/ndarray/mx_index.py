"""mx_index: filled in by its owner."""
__all__: list[str] = []
METHODS: tuple[str, ...] = ()
