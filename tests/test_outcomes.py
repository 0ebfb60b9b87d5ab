import pytest

from calibrate.data.outcomes import (
    LABELS,
    OutcomeCandidate,
    clear_winner,
    describe_candidates,
    looks_like_outcome_values,
    normalise,
    normalise_all,
    outcome_name_hint,
    rank_outcome_candidates,
)


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


VENDOR_LABELS = {
    # Salesforce opportunity stages and lead statuses
    "Prospecting": "open", "Qualification": "open", "Needs Analysis": "open",
    "Value Proposition": "open", "Id. Decision Makers": "open", "Perception Analysis": "open",
    "Proposal/Price Quote": "open", "Negotiation/Review": "open", "Closed Won": "won",
    "Closed Lost": "lost", "Open - Not Contacted": "open", "Working - Contacted": "open",
    "Closed - Converted": "won", "Closed - Not Converted": "lost",
    # HubSpot deal stages and lead statuses
    "appointmentscheduled": "open", "qualifiedtobuy": "open", "presentationscheduled": "open",
    "decisionmakerboughtin": "open", "contractsent": "open", "closedwon": "won",
    "closedlost": "lost", "New": "open", "Open Deal": "open", "Attempted to Contact": "open",
    "Connected": "open", "Unqualified": "lost", "Bad Timing": "no_decision",
    # Dynamics 365, Pipedrive, Zoho
    "Qualified": "won", "Disqualified": "lost", "won": "won", "lost": "lost", "open": "open",
    "Closed-Lost to Competition": "lost",
    # common words
    "Win": "won", "Loss": "lost", "Engaging": "open", "Nurture": "open",
    "Recycled": "no_decision", "converted": "won", "not converted": "lost",
    "subscribed": "won", "not subscribed": "lost",
}

LANGUAGE_LABELS = {
    "Gewonnen": "won", "Verloren": "lost", "Keine Entscheidung": "no_decision",
    "Offen": "open", "In Bearbeitung": "open", "Abgeschlossen gewonnen": "won",
    "Abgeschlossen verloren": "lost",
    "Gagné": "won", "Gagnée": "won", "Perdu": "lost", "Perdue": "lost",
    "Sans décision": "no_decision", "Aucune décision": "no_decision", "Ouvert": "open",
    "En cours": "open", "Fermé gagné": "won", "Fermé perdu": "lost",
    "Ganado": "won", "Ganada": "won", "Perdido": "lost", "Perdida": "lost",
    "Sin decisión": "no_decision", "Abierto": "open", "En curso": "open",
    "Cerrado ganado": "won", "Cerrado perdido": "lost",
    "Ganho": "won", "Ganha": "won", "Sem decisão": "no_decision", "Aberto": "open",
    "Em andamento": "open", "Fechado ganho": "won", "Fechado perdido": "lost",
    "Vinto": "won", "Vinta": "won", "Perso": "lost", "Persa": "lost",
    "Nessuna decisione": "no_decision", "Aperto": "open", "In corso": "open",
    "Chiuso vinto": "won", "Chiuso perso": "lost",
    "Geen beslissing": "no_decision", "Lopend": "open",
}


@pytest.mark.parametrize("label,outcome", [*VENDOR_LABELS.items(), *LANGUAGE_LABELS.items()])
def test_vendor_and_language_labels(label, outcome):
    assert normalise(label) == outcome
    assert normalise(f"  {label.upper()} ") == outcome


def test_matching_folds_case_accents_and_punctuation():
    assert normalise("Gagné") == normalise("gagne") == normalise("GAGNEE") == "won"
    assert normalise("Sem decisão") == normalise("sem decisao") == "no_decision"
    assert normalise("closed_won") == normalise("Closed - Won") == "won"
    assert normalise("1.0") == "won" and normalise("0.0") == "lost"


def test_every_label_of_the_table_maps_to_its_outcome():
    for outcome, labels in LABELS.items():
        for label in labels:
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


# --- choosing the outcome column by its values -----------------------------------------------

BANK = [
    ("default", [("no", 32_588), ("unknown", 8_597), ("yes", 3)]),
    ("housing", [("yes", 21_576), ("no", 18_622), ("unknown", 990)]),
    ("loan", [("no", 33_950), ("yes", 6_248), ("unknown", 990)]),
    ("job", [("admin.", 10_422), ("blue-collar", 9_254), ("technician", 6_743)]),
    ("poutcome", [("nonexistent", 35_563), ("failure", 4_252), ("success", 1_373)]),
    ("y", [("no", 36_548), ("yes", 4_640)]),
]


def names(cands: list[OutcomeCandidate]) -> list[str]:
    return [c.column for c in cands]


def test_bank_export_y_wins_by_its_name():
    cands = rank_outcome_candidates(BANK)
    assert names(cands)[0] == "y"
    assert set(names(cands)) == {"y", "default", "housing", "loan"}
    winner = clear_winner(cands)
    assert winner is not None and winner.column == "y"
    assert winner.counts == (("no", 36_548), ("yes", 4_640))
    assert "yes/no" in winner.reason and "name says outcome" in winner.reason
    assert describe_candidates(cands, limit=2).startswith("`y` (no 36,548 / yes 4,640), ")


@pytest.mark.parametrize("renamed", ["subscribed_flag2", "col17"])
def test_bank_export_without_a_telling_name_has_no_clear_winner(renamed):
    columns = [(renamed if n == "y" else n, v) for n, v in BANK]
    no_hint = {"subscribed_flag2": lambda name: 0, "col17": None}[renamed]
    cands = rank_outcome_candidates(columns, no_hint)
    assert set(names(cands)) == {renamed, "default", "housing", "loan"}
    assert clear_winner(cands) is None
    listed = describe_candidates(cands, limit=4)
    for name in ("default", "housing", "loan", renamed):
        assert f"`{name}`" in listed
    assert "`loan` (no 33,950 / yes 6,248)" in listed  # the placeholder is not shown
    assert describe_candidates(cands).endswith(" and 1 more")


def test_x_education_converted_beats_the_flags():
    columns = [
        ("Lead Origin", [("Landing Page Submission", 4_886), ("API", 3_580),
                         ("Lead Add Form", 718)]),
        ("Do Not Email", [("No", 8_506), ("Yes", 734)]),
        ("Do Not Call", [("No", 9_238), ("Yes", 2)]),
        ("Converted", [("0", 5_679), ("1", 3_561)]),
        ("TotalVisits", [(str(v), 300 - v) for v in range(40)] + [(None, 137)]),
        ("Search", [("No", 9_226), ("Yes", 14)]),
        ("Magazine", [("No", 9_240)]),
        ("A free copy of Mastering The Interview", [("No", 6_352), ("Yes", 2_888)]),
    ]
    cands = rank_outcome_candidates(columns)
    assert names(cands)[0] == "Converted"
    assert "TotalVisits" not in names(cands) and "Magazine" not in names(cands)
    winner = clear_winner(cands)
    assert winner is not None and winner.column == "Converted"


def test_ibm_win_loss_result_not_the_days_in_stage():
    days = [(str(d), max(1, 2_000 - 13 * d)) for d in range(151)]
    columns = [
        ("Elapsed Days In Sales Stage", days),
        ("Opportunity Result", [("Loss", 60_398), ("Won", 17_627)]),
        ("Competitor Type", [("Unknown", 45_000), ("Known", 20_000), ("None", 13_025)]),
    ]
    cands = rank_outcome_candidates(columns)
    assert names(cands) == ["Opportunity Result"]
    assert cands[0].words and "won/lost words" in cands[0].reason
    assert clear_winner(cands) == cands[0]


def test_numbers_with_many_values_never_qualify_whatever_the_name():
    mostly_zero = [("0", 9_000), ("1", 500)] + [(str(d), 5) for d in range(2, 60)]
    assert rank_outcome_candidates([("Elapsed Days In Sales Stage", mostly_zero),
                                    ("outcome", mostly_zero)]) == []


def test_crm_pipeline_deal_stage():
    columns = [
        ("sales_agent", [("Darcel Schlecht", 747), ("Vicki Laflamme", 451)]),
        ("deal_stage", [("Won", 4_238), ("Lost", 2_473), ("Engaging", 1_589),
                        ("Prospecting", 500)]),
        ("is_active", [("true", 6_000), ("false", 2_800)]),
    ]
    cands = rank_outcome_candidates(columns)
    assert names(cands) == ["deal_stage", "is_active"]
    assert "stages" in cands[0].reason
    assert clear_winner(cands) == cands[0]


def test_german_status():
    columns = [
        ("Branche", [("Software", 400), ("Handel", 300)]),
        ("Status", [("Gewonnen", 120), ("Verloren", 340), ("Offen", 90), (None, 12)]),
    ]
    winner = clear_winner(rank_outcome_candidates(columns))
    assert winner is not None and winner.column == "Status"


def test_a_name_never_lifts_a_pair_above_outcome_words():
    columns = [
        ("Converted", [("1", 500), ("0", 700)]),
        ("Do Not Email", [("Won", 400), ("Lost", 800)]),  # odd name, outcome words
    ]
    cands = rank_outcome_candidates(columns)
    assert names(cands) == ["Do Not Email", "Converted"]
    assert clear_winner(cands) == cands[0]


def test_a_name_never_makes_a_candidate():
    columns = [("Outcome", [("Software", 10), ("Retail", 5)]),
               ("Lead Status", [("Open", 50), ("Working", 20)])]  # no closed label
    assert rank_outcome_candidates(columns) == []


def test_two_outcome_word_columns_need_a_telling_name():
    stage = [("Closed Won", 50), ("Closed Lost", 80), ("Prospecting", 30)]
    tie = rank_outcome_candidates([("a", stage), ("b", stage)], lambda name: 0)
    assert len(tie) == 2 and clear_winner(tie) is None
    hinted = rank_outcome_candidates([("a", stage), ("Stage", stage)])
    assert clear_winner(hinted) == hinted[0] and hinted[0].column == "Stage"


def test_pairs_need_a_won_and_a_lost_value():
    columns = [("gender", [("M", 10), ("F", 12)]), ("flag", [("yes", 10), ("maybe", 3)]),
               ("all_yes", [("yes", 20)]), ("blank", [(None, 5), ("", 3)])]
    assert rank_outcome_candidates(columns) == []
    assert clear_winner([]) is None


def test_spellings_merge_and_custom_placeholders():
    cands = rank_outcome_candidates(
        [("won?", [("Yes", 30), ("yes", 5), ("NO", 50), ("TBD", 9)])], missing=["tbd"])
    assert cands[0].counts == (("NO", 50), ("Yes", 35))


def test_name_hint():
    for name in ("y", "Y", "target", "label", "Converted", "Lead Status", "deal_stage",
                 "dealStage", "Opportunity Result", "subscribed"):
        assert outcome_name_hint(name) == 1, name
    for name in ("Do Not Email", "housing", "default", "loan", "Search", "Do Not Call"):
        assert outcome_name_hint(name) == -1, name
    for name in ("Target Industry", "col17", "poutcome", "Email Status", "y2"):
        assert outcome_name_hint(name) == 0, name


def test_label_overrides_keep_only_what_the_vocabulary_does_not_already_say():
    from calibrate.data.outcomes import label_overrides

    got = label_overrides([("Closed Won", "won"), ("Verbal Yes", "won"), ("Parked", "ignore"),
                           ("Qualified", "open"), ("Lost", "lost")])
    assert got == {"won": ["Verbal Yes"], "ignore": ["Parked"], "open": ["Qualified"]}
