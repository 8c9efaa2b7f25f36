"""Topic declarations: one place, consistent names, a DLQ for everything consumed."""

from shared.topics import CONSUMED, DLQ_SUFFIX, IDENTITY_EVENTS, all_topics, wire_name


def test_every_consumed_topic_has_a_dead_letter_topic() -> None:
    names = {t.name for t in all_topics()}
    assert all(t.name + DLQ_SUFFIX in names for t in CONSUMED)


def test_topic_names_are_unique() -> None:
    names = [t.name for t in all_topics()]
    assert len(names) == len(set(names))


def test_personal_data_topic_keeps_data_briefly() -> None:
    assert IDENTITY_EVENTS.config()["retention.ms"] == str(24 * 3600 * 1000)


def test_prefix_is_prepended_on_the_wire() -> None:
    assert wire_name("cases", "staging.") == "staging.cases"
