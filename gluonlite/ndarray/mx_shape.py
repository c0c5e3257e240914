"""mx_shape: filled in by its owner."""
__all__: list[str] = []
METHODS: tuple[str, ...] = ()
