"""Verifiable draws (core/randomness.py): the hash is published at commit and the seed at the
draw; anyone recomputes the order with plain SHA-256; tampering with the seed, the result or
the candidate list shows on verify, on the public page and in `intermart verify-draw`."""

import hashlib
import json
from decimal import Decimal

import pytest
from sqlalchemy import update

from core import randomness
from core.audit import history
from core.errors import Conflict
from core.randomness import Candidate, Draw

KEYS = ["91340000AAAAAAAAA1", "91340000BBBBBBBBB2", "91340000CCCCCCCCC3",
        "91340000DDDDDDDDD4", "91340000EEEEEEEEE5"]


def by_hand(seed: str, keys: list[str]) -> list[str]:
    """The published algorithm, written out independently of core.randomness."""
    return sorted(keys, key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())


def made_draw(db_session, pick: int = 2, keys: list[str] = KEYS) -> Draw:
    record = randomness.commit("test.purpose", "test:1")
    randomness.draw(record, [Candidate(k, f"agency {k[-1]}") for k in keys], pick=pick)
    db_session.commit()
    return record


def tamper(db_session, record: Draw, **values) -> None:
    db_session.execute(update(Draw).where(Draw.id == record.id).values(**values))
    db_session.commit()  # a tamperer's own transaction
    db_session.expire_all()


# --- commit and draw ----------------------------------------------------------------------

def test_commit_publishes_only_the_hash(db_session):
    record = randomness.commit("test.purpose", "test:1")
    assert record.seed_hash == hashlib.sha256(record.seed.encode()).hexdigest()
    assert record.public_seed is None
    published = json.loads(randomness.published(record))
    assert published["seed"] is None and published["seed_hash"] == record.seed_hash
    assert record.seed not in randomness.published(record)
    (entry,) = history("draw", record.id)
    assert entry.after == {"purpose": "test.purpose", "reference": "test:1",
                           "seed_hash": record.seed_hash}


def test_draw_reveals_the_seed_and_ranks_by_sha256(db_session):
    record = made_draw(db_session, pick=2)
    assert record.result == by_hand(record.seed, KEYS)[:2]
    published = json.loads(randomness.published(record))
    assert published["seed"] == record.seed
    assert [c["key"] for c in published["candidates"]] == KEYS
    assert published["result"] == record.result and published["pick"] == 2
    assert [e.action for e in history("draw", record.id)] == ["draw.commit", "draw.made"]


def test_a_draw_is_made_once(db_session):
    record = made_draw(db_session)
    with pytest.raises(Conflict):
        randomness.draw(record, [Candidate(k) for k in reversed(KEYS)], pick=2)


@pytest.mark.parametrize("candidates", [[], [Candidate("a"), Candidate("a")]])
def test_a_draw_needs_distinct_candidates(db_session, candidates):
    record = randomness.commit("test.purpose", "test:1")
    with pytest.raises(ValueError):
        randomness.draw(record, candidates)
    assert record.drawn_at is None


def test_the_order_of_a_subset_is_the_full_order_without_the_others():
    seed = "a" * 64
    full = randomness.rank(seed, KEYS)
    subset = [KEYS[0], KEYS[2], KEYS[4]]
    assert randomness.rank(seed, subset) == [k for k in full if k in subset]


def test_choose_takes_the_hash_modulo_the_options():
    options = ["w", "x", "y", "z"]
    seen = set()
    for n in range(40):
        seed = f"seed-{n}"
        digest = hashlib.sha256(f"{seed}:label".encode()).hexdigest()
        assert randomness.choose(seed, "label", options) == options[int(digest, 16) % 4]
        seen.add(randomness.choose(seed, "label", options))
    assert seen == set(options)


# --- weighted ------------------------------------------------------------------------------

def test_weighted_rank_is_deterministic_and_follows_the_weights():
    weights = {"light": Decimal(1), "heavy": Decimal(9), "none": Decimal(0)}
    firsts = [randomness.weighted_rank(f"s{n}", weights) for n in range(300)]
    assert firsts == [randomness.weighted_rank(f"s{n}", dict(reversed(weights.items())))
                      for n in range(300)]
    assert all(order[-1] == "none" for order in firsts)  # weight 0 never beats a positive one
    heavy_first = sum(order[0] == "heavy" for order in firsts)
    assert 240 <= heavy_first <= 295  # expected 270 of 300 (9 / 10)


def test_weighted_rank_refuses_negative_weights():
    with pytest.raises(ValueError):
        randomness.weighted_rank("s", {"a": Decimal(-1)})


def test_weighted_draw_verifies(db_session):
    record = randomness.commit("test.weighted", "test:2")
    result = randomness.draw(record, [Candidate("a", weight=Decimal("2.5")), Candidate("b"),
                                      Candidate("c", weight=Decimal(4))], pick=2, weighted=True)
    db_session.commit()
    assert record.algorithm == randomness.WEIGHTED_ALGORITHM
    assert record.candidates[1]["weight"] == "1"
    assert result == randomness.weighted_rank(record.seed, {"a": Decimal("2.5"),
                                                            "b": Decimal(1), "c": Decimal(4)})[:2]
    assert randomness.verify(record).ok


# --- verify and tampering -------------------------------------------------------------------

def test_an_intact_draw_verifies(db_session):
    check = randomness.verify(made_draw(db_session))
    assert check.ok and check.seed_matches_hash and check.result_matches and check.matches_audit


def test_an_undrawn_draw_does_not_verify(db_session):
    check = randomness.verify(randomness.commit("test.purpose", "test:1"))
    assert not check.drawn and not check.ok


def test_a_tampered_seed_is_detected(db_session):
    record = made_draw(db_session)
    tamper(db_session, record, seed="0" * 64)
    check = randomness.verify(record)
    assert not check.ok and not check.seed_matches_hash


def test_a_consistently_rewritten_seed_and_hash_still_differ_from_the_audit(db_session):
    record = made_draw(db_session)
    seed = "1" * 64
    new_result = by_hand(seed, KEYS)[:2]
    tamper(db_session, record, seed=seed, seed_hash=randomness.seed_hash(seed), result=new_result)
    check = randomness.verify(record)
    assert check.seed_matches_hash and check.result_matches
    assert not check.matches_audit and not check.ok


def test_a_tampered_result_is_detected(db_session):
    record = made_draw(db_session)
    loser = next(k for k in KEYS if k not in record.result)
    tamper(db_session, record, result=[loser, record.result[1]])
    check = randomness.verify(record)
    assert not check.ok and not check.result_matches
    assert check.recomputed == by_hand(record.seed, KEYS)[:2]


def test_a_tampered_candidate_list_is_detected(db_session):
    record = made_draw(db_session, pick=1)
    loser = by_hand(record.seed, KEYS)[-1]
    # Removing a loser leaves the winner unchanged: only the audit record shows it.
    tamper(db_session, record, candidates=[c for c in record.candidates if c["key"] != loser])
    check = randomness.verify(record)
    assert check.result_matches and not check.matches_audit and not check.ok


# --- the CLI ------------------------------------------------------------------------------

def test_cli_verify_draw_exit_codes(runner, db_session):
    record = made_draw(db_session)
    result = runner.invoke(args=["verify-draw", str(record.id)])
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output and record.seed in result.output

    tamper(db_session, record, result=list(reversed(record.result)))
    result = runner.invoke(args=["verify-draw", str(record.id)])
    assert result.exit_code == 1
    assert "MISMATCH" in result.output


def test_cli_verify_draw_refuses_undrawn_and_unknown(runner, db_session):
    record = randomness.commit("test.purpose", "test:1")
    db_session.commit()
    result = runner.invoke(args=["verify-draw", str(record.id)])
    assert result.exit_code == 1 and "not drawn yet" in result.output
    assert record.seed not in result.output
    assert runner.invoke(args=["verify-draw", "999999"]).exit_code == 1


# --- the public pages -----------------------------------------------------------------------

def test_public_page_before_the_draw_shows_only_the_hash(client, db_session):
    record = randomness.commit("test.purpose", "test:1")
    db_session.commit()
    page = client.get(f"/draws/{record.id}").get_data(as_text=True)
    assert record.seed_hash in page and 'data-testid="not-drawn"' in page
    assert record.seed not in page
    download = client.get(f"/draws/{record.id}.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.json["seed"] is None and record.seed not in download.get_data(as_text=True)


def test_public_page_after_the_draw_verifies(client, db_session):
    record = made_draw(db_session)
    page = client.get(f"/draws/{record.id}").get_data(as_text=True)
    assert 'data-testid="verified"' in page and record.seed in page
    for key in KEYS:  # every candidate with the hash anyone can recompute
        assert hashlib.sha256(f"{record.seed}:{key}".encode()).hexdigest() in page
    assert "SHA-256" in page and "sha256sum" in page  # the algorithm is documented
    assert client.get(f"/draws/{record.id}.json").json["result"] == record.result


def test_public_page_shows_a_mismatch(client, db_session):
    record = made_draw(db_session)
    tamper(db_session, record, seed="0" * 64)
    page = client.get(f"/draws/{record.id}").get_data(as_text=True)
    assert 'data-testid="mismatch"' in page and 'data-testid="verified"' not in page
    assert "✗" in page


def test_unknown_draw_is_404(client):
    assert client.get("/draws/999999").status_code == 404


def test_the_verify_form_recomputes_any_draw(client, db_session):
    seed = "f" * 64
    keys = ["k1", "k2", "k3", "k4"]
    page = client.get("/draws/verify", query_string={
        "seed": seed, "algorithm": randomness.ALGORITHM, "candidates": "\n".join(keys),
        "pick": 1, "seed_hash": randomness.seed_hash(seed), "choice_label": "coefficient",
        "choice_options": "0.95, 0.96, 0.97, 0.98"}).get_data(as_text=True)
    order = by_hand(seed, keys)
    positions = [page.index(f"<code>{key}</code>") for key in order]
    assert positions == sorted(positions)  # shown in draw order
    assert 'data-testid="hash-ok"' in page
    index = int(hashlib.sha256(f"{seed}:coefficient".encode()).hexdigest(), 16) % 4
    assert f"<strong>{['0.95', '0.96', '0.97', '0.98'][index]}</strong>" in page


def test_the_verify_form_flags_a_wrong_hash_and_bad_input(client):
    page = client.get("/draws/verify", query_string={
        "seed": "abc", "algorithm": randomness.ALGORITHM, "candidates": "a\nb",
        "seed_hash": "0" * 64}).get_data(as_text=True)
    assert 'data-testid="hash-mismatch"' in page
    page = client.get("/draws/verify", query_string={
        "seed": "abc", "algorithm": randomness.ALGORITHM, "candidates": "a\na"}).get_data(
        as_text=True)
    assert "Each key may appear only once." in page and 'data-testid="draw-order"' not in page
    page = client.get("/draws/verify", query_string={
        "seed": "abc", "algorithm": randomness.WEIGHTED_ALGORITHM,
        "candidates": "a 2\nb 1"}).get_data(as_text=True)
    order = randomness.weighted_rank("abc", {"a": Decimal(2), "b": Decimal(1)})
    assert page.index(f"<code>{order[0]}</code>") < page.index(f"<code>{order[1]}</code>")


def test_the_draw_page_links_to_the_form_prefilled(client, db_session):
    record = made_draw(db_session)
    page = client.get(f"/draws/{record.id}").get_data(as_text=True)
    assert "/draws/verify?" in page and f"seed={record.seed}" in page
