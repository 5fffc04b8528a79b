"""A nesting-depth check that runs in bounded stack, for JSON that will be parsed next.

Python's json module recurses once per level: a 100,000-deep body raises RecursionError.
This scans the raw bytes once, skipping string literals, and stops at the first level over
the limit.
"""

import re

# A string literal (with escapes) or one bracket; strings are matched whole so brackets
# inside them do not count.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[{")


def nesting_exceeds(body: bytes, limit: int) -> bool:
    depth = 0
    for match in _TOKENS.finditer(body):
        first = match.group()[0]
        if first in _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif first != ord('"'):
            depth -= 1
    return False
