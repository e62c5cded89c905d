from placer.errors import ConfigError, ExitStatus, FlowError, PlacerError, ThresholdExceeded


def test_one_line_has_location_headline_and_fix():
    err = FlowError("no FlowSpec subclass", "flow.py:3", "define a class that derives FlowSpec")
    assert (
        str(err) == "flow.py:3: no FlowSpec subclass. To fix: define a class that derives FlowSpec"
    )
    assert "\n" not in str(err)


def test_headline_alone_when_no_location_or_hint():
    assert str(ConfigError("bad")) == "bad"


def test_trailing_period_is_not_doubled():
    assert str(PlacerError("bad value.", hint="use 3")) == "bad value. To fix: use 3"


def test_exit_statuses():
    assert FlowError("x").exit_status == ExitStatus.BAD_INPUT == 2
    assert ThresholdExceeded("over").exit_status == ExitStatus.THRESHOLD == 3
    assert isinstance(ThresholdExceeded("over"), PlacerError)


def test_one_line_shows_control_characters_as_escapes():
    from placer.errors import FlowError

    error = FlowError("step 'a\nb' is \x1b[31mred\x1b[0m", "flow\u202e.py:3", "fix\ttabs")
    assert error.one_line() == (
        "flow\\u202e.py:3: step 'a\\nb' is \\u001b[31mred\\u001b[0m. To fix: fix\\ttabs"
    )
