"""The nesting-depth scan that guards json.loads on the webhook and the install callback."""

import json

import pytest

from stripe_dwh.bounded_json import nesting_exceeds


@pytest.mark.parametrize(
    "value, depth",
    [
        ({}, 1),
        ([], 1),
        ({"a": [1, {"b": []}]}, 4),
        ({"text": "[[[[{{{{ brackets in strings do not count"}, 1),
        ({"escaped": 'quote \\" then [[[['}, 1),
        ("plain", 0),
    ],
)
def test_depth_is_measured_outside_strings(value, depth):
    body = json.dumps(value).encode()

    assert not nesting_exceeds(body, depth)
    assert nesting_exceeds(body, depth - 1) == (depth > 0)


def test_a_hundred_thousand_levels_are_caught_without_recursion():
    assert nesting_exceeds(b"[" * 100_000 + b"]" * 100_000, 64)
