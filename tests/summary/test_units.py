"""Time units of a summary and the conversion of periods into them (clmkit.summary.units)."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from clmkit.summary.units import TimeUnit, to_units


def test_numbers_of_any_kind_are_already_model_units() -> None:
    # numpy integers are not ``int``: they are numbers, not nanosecond durations
    for period in (3, 3.0, np.int64(3), np.float32(3.0)):
        assert to_units(period, None) == 3.0
        assert to_units(period, TimeUnit("W")) == 3.0


@pytest.mark.parametrize(
    "period", ["14D", pd.Timedelta(days=14), timedelta(days=14), np.timedelta64(14, "D")]
)
def test_durations_convert_through_the_unit_length(period: object) -> None:
    assert to_units(period, TimeUnit("W")) == pytest.approx(2.0)
    assert to_units(period, TimeUnit("D", 7.0)) == pytest.approx(2.0)


def test_a_duration_needs_a_known_unit_and_a_readable_value() -> None:
    with pytest.raises(ValueError, match="horizon='30D' needs the model's time unit"):
        to_units("30D", None, "horizon")
    for bad in ("thirty days", [1, 2], True):
        with pytest.raises(ValueError, match="horizon: cannot read"):
            to_units(bad, TimeUnit("D"), "horizon")


def test_the_unit_round_trips_through_its_dict() -> None:
    unit = TimeUnit("W", 2.0)
    assert TimeUnit.from_dict(unit.to_dict()) == unit
    assert TimeUnit.from_dict({"freq": "A", "multiplier": 1}) == TimeUnit("Y", 1.0)
    assert TimeUnit.from_dict(None) is None
    assert unit.days == 14.0 and str(unit) == "2W" and unit.plural() == "2-week periods"
