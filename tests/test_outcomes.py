from calibrate.outcomes import looks_like_outcome_values, normalise, normalise_all


def test_known_labels_map_to_the_four_outcomes():
    cases = {
        "Won": "won", "Closed Won": "won", "closed-won": "won", "Converted": "won", "1": "won",
        "yes": "won", "Lost": "lost", "Closed Lost": "lost", "0": "lost", "No": "lost",
        "No Decision": "no_decision", "Closed - No Decision": "no_decision",
        "stalled": "no_decision", "Open": "open", "": "open", "In Progress": "open",
        None: "open",
    }
    for label, outcome in cases.items():
        assert normalise(label) == outcome, label


def test_unknown_labels_are_reported_not_guessed():
    mapping, unknown = normalise_all(["Won", "Signed & Paid", "Churned"])
    assert mapping == {"Won": "won"}
    assert unknown == ["Signed & Paid", "Churned"]


def test_extra_labels_from_a_mapping_win():
    assert normalise("Churned", {"lost": ["churned"]}) == "lost"
    assert normalise("yes", {"lost": ["Yes"]}) == "lost"


def test_outcome_like_columns_are_recognised():
    assert looks_like_outcome_values(["Closed Won", "Closed Lost", "Open"])
    assert not looks_like_outcome_values(["Software", "Retail", "Healthcare"])
