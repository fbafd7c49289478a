"""The erasure tail's bound (docs/security.md) follows from the production settings (ADR 0030)."""

from __future__ import annotations

from schemas.topics import BY_NAME, INTERVIEW_COMMANDS, PRIVACY_KEYS
from services.interview.entrypoints.settings import InterviewSettings
from services.platform.privacy.tail import (
    ROLL_TICK_HEADER,
    STATED_BOUND_S,
    Cadence,
    commands_tail_s,
    is_roll_tick,
    keys_tail_s,
)


def test_the_production_settings_keep_the_stated_bound() -> None:
    settings = InterviewSettings()
    # Kafka's defaults for the broker's timings (a cluster that changed them recomputes the bound).
    cadence = Cadence(tick_s=settings.roll_tick_s, commands_keep_s=settings.commands_keep_s)
    keys = keys_tail_s(BY_NAME[PRIVACY_KEYS].config, cadence)
    commands = commands_tail_s(BY_NAME[INTERVIEW_COMMANDS].config, cadence)
    assert round(keys) == 3600 + 600 + 15 + 60 + 30  # roll (1 h) + a tick + cleaner + file delay + slack
    assert round(commands) == 3600 + 600 + 600 + 60 + 300 + 60 + 30
    assert max(keys, commands) <= STATED_BOUND_S == 2 * 3600


def test_the_bound_grows_with_each_setting_it_depends_on() -> None:
    base = Cadence(tick_s=600)
    keys, commands = dict(BY_NAME[PRIVACY_KEYS].config), dict(BY_NAME[INTERVIEW_COMMANDS].config)
    for key in ("segment.ms", "file.delete.delay.ms"):
        assert commands_tail_s({**commands, key: "99999999"}, base) > commands_tail_s(commands, base)
    for key in ("segment.ms", "max.compaction.lag.ms", "file.delete.delay.ms"):
        longer = {**keys, key: "99999999"}
        if key == "segment.ms":  # the roll comes at min(segment.ms, max.compaction.lag.ms)
            assert keys_tail_s(longer, base) == keys_tail_s(keys, base)
        else:
            assert keys_tail_s(longer, base) > keys_tail_s(keys, base)
    assert keys_tail_s(keys, Cadence(tick_s=1200)) > keys_tail_s(keys, base)


def test_a_roll_tick_has_no_value_and_the_header() -> None:
    assert is_roll_tick(None, [(ROLL_TICK_HEADER, b"")])
    assert not is_roll_tick(b"{}", [(ROLL_TICK_HEADER, b"")])  # a command with the header is a command
    assert not is_roll_tick(None, [])  # a null record without it: garbage, answered as before
    assert not is_roll_tick(None, None)
