"""File sizes as people read them."""


def size_text(size: int) -> str:
    """1 KB = 1,000 bytes, as file managers and phones show sizes."""
    if size < 1000:
        return f'{size} B'
    if size < 1_000_000:
        return f'{size / 1000:.0f} KB'
    return f'{size / 1_000_000:.1f} MB'
