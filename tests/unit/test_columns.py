"""Fitting table columns (hpctui/ui/columns.py): who gives way, where values are cut."""

from __future__ import annotations

from hpctui.ui.columns import (Column, cut, cut_tail, cut_to, detail_text, fit_widths,
                               natural_widths, word_widths)

COLS = (Column("job", 0, whole=True), Column("state", 1, min_width=9),
        Column("reason", 3), Column("node", 2, whole=True))
ROWS = [("12345", "started, not connected", "Resources", "node-0017")]


def fit(available: int) -> list[int]:
    return fit_widths(COLS, natural_widths(COLS, ROWS), available, 2, word_widths(ROWS, 4))


def test_everything_whole_when_it_fits():
    assert fit(100) == [5, 22, 9, 9]


def test_the_least_important_column_goes_first_and_whole_columns_are_never_cut():
    widths = fit(35)
    assert widths[2] == 0  # reason: priority 3
    assert widths[0] == 5 and widths[3] == 9  # whole
    assert widths[1] == 35 - 3 * 2 - 5 - 9
    assert sum(w + 2 for w in widths if w) <= 35


def test_room_is_given_back_most_important_first():
    widths = fit(5 + 22 + 9 + 9 + 8 - 1)  # one cell short of everything whole
    # reason's one word cannot be cut: it stays at its floor, state takes what is left
    assert widths == [5, 21, 9, 9]


def test_a_column_that_must_show_whole_is_given_up_rather_than_cut():
    widths = fit(5 + 2 + 9 + 2 + 6)
    assert widths[3] == 0 and widths[0] == 5


def test_the_most_important_column_stays_even_when_nothing_fits():
    assert fit(3)[0] == 5


def test_headers_are_never_cut():
    cols = (Column("a very long header", 0), Column("b", 1))
    widths = fit_widths(cols, [18, 1], 22, 2, [1, 1])
    assert widths == [18, 0]


def test_cut_ends_after_a_whole_word_with_an_ellipsis():
    assert cut("Workers cannot reach the scheduler", 20) == "Workers cannot…"
    assert cut("Workers cannot reach the scheduler", 40) == "Workers cannot reach the scheduler"
    assert cut("started, not connected", 10) == "started,…"
    assert cut("/scratch/me/dask/logs", 12) == "/scratch/…"
    assert cut("/scratch/me/dask/logs", 13) == "/scratch/me/…"


def test_cut_never_splits_a_word_not_even_a_host_name_or_address():
    assert cut("192.0.2.17", 8) == "…"
    assert cut("node-0017.cluster", 9) == "…"
    assert cut("tcp://192.0.2.17:40123", 12) == "tcp://…"


def test_a_one_word_value_sets_its_column_floor_so_it_is_whole_or_the_column_goes():
    cols = (Column("host", 1), Column("worker", 0))
    rows = [("node0017", "w-0")]
    widths = fit_widths(cols, natural_widths(cols, rows), 15, 2, word_widths(rows, 2))
    assert widths == [0, 6]  # host cannot be cut: it goes, worker (more important) stays
    assert fit_widths(cols, natural_widths(cols, rows), 18, 2, word_widths(rows, 2)) == [8, 6]


def test_a_very_long_word_does_not_crowd_out_other_columns_and_room_goes_to_words_first():
    cols = (Column("key", 0, min_width=4), Column("value", 1), Column("by", 2))
    rows = [("a", "dask-worker-command", "site.yaml")]
    natural, words = natural_widths(cols, rows), word_widths(rows, 3)
    # 19 cells of one word would push "by" out; "…" (whole on the detail line) does not.
    # The room goes to "by"'s one word (it then shows whole), the rest to "value".
    assert fit_widths(cols, natural, 4 + 5 + 9 + 6, 2, words) == [3, 6, 9]
    assert fit_widths(cols, natural, 4 + 19 + 9 + 6, 2, words) == [3, 19, 9]


def test_detail_text_names_what_was_cut_or_left_out():
    widths = [5, 9, 0, 9]
    assert detail_text(COLS, widths, ROWS[0]) == (
        "state: started, not connected  ·  reason: Resources")
    assert detail_text(COLS, [5, 22, 9, 9], ROWS[0]) == ""


def test_names_are_cut_from_their_start_before_a_part():
    assert cut_tail("distributed.comm.timeouts.connect", 18) == "…timeouts.connect"
    assert cut_tail("distributed.comm.timeouts.connect", 12) == "…connect"
    assert cut_tail("job-script-prologue", 12) == "…prologue"
    assert cut_tail("processes", 5) == "…"  # one part: whole or nothing
    assert cut_to(Column("key", keep_tail=True), "log-directory", 10) == "…directory"
    assert cut_to(Column("v"), "a b c", 4) == "a b…"


def test_a_name_column_gets_room_after_the_values():
    cols = (Column("key", 0, min_width=10, keep_tail=True), Column("value", 1, min_width=6))
    rows = [("distributed.comm.timeouts.connect", "00:30:00")]
    widths = fit_widths(cols, natural_widths(cols, rows), 10 + 8 + 4 + 3, 2,
                        word_widths(rows, 2, cols))
    assert widths == [13, 8]  # the value whole first, then the name gets what is left
