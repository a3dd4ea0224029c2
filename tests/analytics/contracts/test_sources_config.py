"""The sources file's ``[settings]``: every error names the file, the key's line and the
key; an unknown key gets the nearest valid one."""

from datetime import date

import pytest

from analytics.contracts.sources_config import SourcesError, parse_sources

SOURCE = '\n[[source]]\nid = "x"\nkind = "folder"\npath = "."\n'


@pytest.mark.parametrize(("settings", "message"), [
    ("max_file_byte = 1000",
     "sources.toml:4: [settings], key 'max_file_byte': unknown key; did you mean "
     "'max_file_bytes'? (the keys: max_file_bytes, "),
    ('"retry" = 2', "sources.toml:4: [settings], key 'retry': unknown key; did you mean 'retries'?"),
    ('retries = "three"',
     "sources.toml:4: [settings], key 'retries': expected a whole number, got 'three' (a string)"),
    ("allow_private_addresses = 1",
     "sources.toml:4: [settings], key 'allow_private_addresses': expected true or false, got 1"),
    ('allowed_networks = "10.0.0.0/8"',
     "sources.toml:4: [settings], key 'allowed_networks': expected a list of strings"),
    ('min_date = "1990-13-01"',
     "sources.toml:4: [settings], key 'min_date': expected a date (YYYY-MM-DD): month must be"),
    ("near_duplicate_threshold = true",
     "sources.toml:4: [settings], key 'near_duplicate_threshold': expected a number, got True"),
    ('on_missing_date = "rundate"',
     "sources.toml:4: [settings], key 'on_missing_date': must be 'quarantine' or 'run_date'; "
     "did you mean 'run_date'?"),
])
def test_settings_errors_name_file_line_and_key(settings, message):
    text = f"# sources\n[settings]\ntimeout_seconds = 5\n{settings}\n{SOURCE}"
    with pytest.raises(SourcesError) as err:
        parse_sources(text, "sources.toml")
    assert str(err.value).startswith(message), str(err.value)


def test_settings_of_the_right_types_are_read():
    cfg = parse_sources('[settings]\ntimeout_seconds = 5\nmin_date = 2001-02-03\n'
                        'allowed_networks = ["10.0.0.0/8"]\n' + SOURCE, "s.toml")
    assert cfg.settings.timeout_seconds == 5.0 and isinstance(cfg.settings.timeout_seconds, float)
    assert cfg.settings.min_date == date(2001, 2, 3)
    assert cfg.settings.allowed_networks == ("10.0.0.0/8",)


def test_unknown_source_key_and_role_suggest_the_nearest():
    with pytest.raises(SourcesError, match=r"s.toml:4: source x, key 'colums': unknown key; "
                       r"did you mean 'columns'\?"):
        parse_sources('[[source]]\nid = "x"\nkind = "table"\ncolums = { text = "b" }\n', "s.toml")
    with pytest.raises(SourcesError, match=r"unknown role 'txt'; did you mean 'text'\?"):
        parse_sources('[[source]]\nid = "x"\nkind = "table"\npath = "t.csv"\n'
                      'columns = { txt = "b" }\n', "s.toml")


def test_mapped_columns_remember_their_line():
    cfg = parse_sources('[[source]]\nid = "x"\nkind = "table"\npath = "t.csv"\n'
                        'columns = { text = ["title", "summary"] }\nextra_columns = ["n"]\n'
                        '[[source]]\nid = "y"\nkind = "table"\npath = "u.csv"\n'
                        '[source.columns]\ntext = "summary"\n', "s.toml")
    assert cfg.sources[0].column_lines == {"title": "s.toml:5", "summary": "s.toml:5",
                                           "n": "s.toml:6"}
    assert cfg.sources[1].column_lines == {"summary": "s.toml:12"}


def test_size_and_time_limits_are_settings():
    """Issue 16, cases 6 and 8: the text cap, the source budget and the per-attempt
    deadline are ``[settings]`` keys, defaulting to what the readers used before."""
    cfg = parse_sources("[settings]\nmax_text_chars = 5000\nsource_budget_seconds = 30\n"
                        "total_timeout_seconds = 7.5\n" + SOURCE, "s.toml")
    s = cfg.settings
    assert (s.max_text_chars, s.source_budget_seconds, s.total_timeout_seconds) == (5000, 30.0, 7.5)
    default = parse_sources(SOURCE, "s.toml").settings
    assert (default.max_text_chars, default.source_budget_seconds,
            default.total_timeout_seconds) == (1_000_000, 180.0, 60.0)


@pytest.mark.parametrize(("settings", "message"), [
    ("max_text_chars = 0", "s.toml:3: [settings], key 'max_text_chars': expected a number > 0, got 0"),
    ("source_budget_seconds = -1",
     "s.toml:3: [settings], key 'source_budget_seconds': expected a number > 0, got -1.0"),
    ('total_timeout_seconds = "1m"',
     "s.toml:3: [settings], key 'total_timeout_seconds': expected a number, got '1m'"),
    ("max_text_chars = 1.5", "s.toml:3: [settings], key 'max_text_chars': expected a whole number"),
])
def test_limits_must_be_positive_numbers(settings, message):
    with pytest.raises(SourcesError) as err:
        parse_sources(f"# limits\n[settings]\n{settings}\n{SOURCE}", "s.toml")
    assert str(err.value).startswith(message), str(err.value)
