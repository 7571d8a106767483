"""Shared checks of the contagion kernels, network tables and region aggregation: exact messages,
layouts and sums computed independently."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from finstab.contagion import aggregate_network
from finstab.contagion._checks import check_labels, check_matrix, check_vector
from finstab.contagion.network import exposure_matrix, read_network
from finstab.core.errors import DataError, InputError

# ---------------------------------------------------------------------------------- matrices


def test_check_matrix_layouts_and_types():
    dense = np.array([[0, 2], [3, 0]])
    out = check_matrix(dense, "m")
    assert sp.isspmatrix_csr(out) and out.dtype == float
    np.testing.assert_array_equal(out.toarray(), dense)
    csc = sp.csc_matrix(dense.astype(float))
    assert check_matrix(csc, "m", keep_csc=True) is csc  # kept as it is, no copy
    assert check_matrix(csc, "m").format == "csr"
    ints = check_matrix(sp.csc_matrix(dense), "m", keep_csc=True)
    assert ints.format == "csc" and ints.dtype == float
    for layout in (sp.coo_matrix, sp.csr_matrix, sp.lil_matrix):
        out = check_matrix(layout(dense), "m", keep_csc=True)
        assert out.format == "csr" and out.dtype == float
        assert check_matrix(layout(dense), "m").dtype == float
    # explicitly stored zeros are not negative
    stored = sp.csr_matrix((np.array([0.0, 1.0]), np.array([1, 0]), np.array([0, 1, 2])), shape=(2, 2))
    assert stored.nnz == 2 and check_matrix(stored, "m").nnz == 2
    assert check_matrix(np.zeros((3, 3)), "m").nnz == 0


@pytest.mark.parametrize(("m", "message"), [
    (np.zeros((2, 3)), "m: expected a square matrix, got shape (2, 3)"),
    (sp.csr_matrix(np.zeros((3, 2))), "m: expected a square matrix, got shape (3, 2)"),
    (np.zeros(3), "m: expected a 2-d array, got shape (3,)"),
    (np.array([[0, np.inf], [1, 0]]), "m: non-finite value at index (0, 1)"),
    (sp.csr_matrix(np.array([[0, np.inf], [1, 0]])), "m: non-finite entry (NaN or infinite)"),
    (sp.csr_matrix(np.array([[0, -np.inf], [1, 0]])), "m: non-finite entry (NaN or infinite)"),
    (sp.csr_matrix(np.array([[0, np.nan], [1, 0]])), "m: non-finite entry (NaN or infinite)"),
    (np.array([[0, 1, 2], [3, 0, -4.5], [-1, 0, 0]]), "m: negative exposure -4.5 at (1, 2)"),
    (sp.csr_matrix(np.array([[0, 1], [-0.25, 0]])), "m: negative exposure -0.25 at (1, 0)"),
    (np.array([[0, 1], [1, 2.0]]), "m: a bank cannot owe itself: the diagonal must be zero"),
    (np.array([[0, 1], ["a", 0]]), "m: expected numbers, got ndarray"),
])
def test_check_matrix_messages(m, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        check_matrix(m, "m")


def test_check_vector():
    np.testing.assert_array_equal(check_vector(2.5, 3, "v"), [2.5, 2.5, 2.5])
    np.testing.assert_array_equal(check_vector(np.float64(1), 2, "v"), [1, 1])
    np.testing.assert_array_equal(check_vector([1, 0, 2], 3, "v"), [1, 0, 2])
    np.testing.assert_array_equal(check_vector([1, -1], 2, "v", nonneg=False), [1, -1])
    for v, message in [([1, 2], "v: length 2 for 3 nodes"), ([[1, 2, 3]], "v: expected a 1-d array, got shape (1, 3)"),
                       ([1, -2, -5], "v: negative value at node 2"), (-1, "v: negative value at node 0"),
                       ([1, np.nan, 0], "v: non-finite value at index (1,)"),
                       (np.inf, "v: non-finite value at index ()")]:
        with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
            check_vector(v, 3, "v")


def test_check_labels():
    assert check_labels(None, 3) == ()
    assert check_labels(["a", "b"], 2) == ("a", "b")
    assert check_labels(np.array([3, 1]), 2) == (3, 1) and type(check_labels(np.array([3, 1]), 2)[0]) is int
    assert check_labels(pd.Index(["x", "y"]), 2) == ("x", "y")
    assert check_labels((k for k in "ab"), 2) == ("a", "b")
    with pytest.raises(InputError, match=r"^labels: 1 labels for 2 nodes$"):
        check_labels(["a"], 2)
    with pytest.raises(InputError, match=r"^labels: label 'b' appears twice$"):
        check_labels(["a", "b", "c", "b", "a"], 5)
    with pytest.raises(InputError, match=r"^labels: label 1 appears twice$"):
        check_labels(np.array([1, 1]), 2)


# ---------------------------------------------------------------------------------- regions


def test_aggregate_network_sums_blocks():
    rng = np.random.default_rng(0)
    M = rng.integers(0, 5, (6, 6)).astype(float)
    np.fill_diagonal(M, 0)
    groups = ["south", "north", "south", "east", "north", "south"]
    agg = aggregate_network(M, groups)
    assert list(agg.index) == ["east", "north", "south"] and list(agg.columns) == ["east", "north", "south"]
    for a in agg.index:
        for b in agg.columns:
            rows = [i for i, g in enumerate(groups) if g == a]
            cols = [j for j, g in enumerate(groups) if g == b]
            assert agg.loc[a, b] == M[np.ix_(rows, cols)].sum()
    same = aggregate_network(sp.csr_matrix(M), np.array(groups))
    pd.testing.assert_frame_equal(same, agg)
    with pytest.raises(InputError, match=r"^groups: 5 group labels for 6 nodes$"):
        aggregate_network(M, groups[:5])
    with pytest.raises(InputError, match=r"^matrix: a bank cannot owe itself"):
        aggregate_network(np.eye(2), ["a", "b"])


# ---------------------------------------------------------------------------------- network tables


BANKS = pd.DataFrame({"bank": ["A", "B", "C"], "equity": [1, 2, 3], "external_assets": [5, 5, 5],
                      "external_liabilities": [1, 1, 1], "region": ["SH", "SH", "BJ"]})
EDGES = pd.DataFrame({"lender": ["A", "B", "A"], "borrower": ["B", "C", "B"], "amount": [1.0, 2.0, 0.5]})


def test_read_network_and_exposure_matrix():
    b, e = read_network(BANKS, EDGES)
    assert b["bank"].tolist() == ["A", "B", "C"] and list(e.columns) == ["lender", "borrower", "amount"]
    X = exposure_matrix(b, e)
    assert sp.isspmatrix_csr(X) and X.shape == (3, 3)
    np.testing.assert_array_equal(X.toarray(), [[0, 1.5, 0], [0, 0, 2], [0, 0, 0]])  # duplicate edges summed
    # numeric bank ids are read as text and matched with the edges' ids
    nb, ne = read_network(BANKS.assign(bank=[10, 20, 30]), EDGES.assign(lender=[10, 20, 10], borrower=[20, 30, 20]))
    assert nb["bank"].tolist() == ["10", "20", "30"]
    np.testing.assert_array_equal(exposure_matrix(nb, ne).toarray(), X.toarray())


def test_read_network_from_files(tmp_path):
    BANKS.to_csv(tmp_path / "banks.csv", index=False)
    EDGES.to_csv(tmp_path / "edges.csv", index=False)
    b, e = read_network(tmp_path / "banks.csv", str(tmp_path / "edges.csv"))
    assert b["bank"].tolist() == ["A", "B", "C"] and len(e) == 3
    BANKS.assign(equity=[1, -2, 3]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'bad.csv'} row 3: column 'equity': -2 is not")):
        read_network(tmp_path / "bad.csv", tmp_path / "edges.csv")
    EDGES.assign(borrower=["B", "C", "Z"]).to_csv(tmp_path / "e2.csv", index=False)
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'e2.csv'} row 4: borrower 'Z' is not in the bank")):
        read_network(tmp_path / "banks.csv", tmp_path / "e2.csv")
    BANKS.assign(bank=["A", "C", "C"]).to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / 'dup.csv'}: bank 'C' listed twice")):
        read_network(tmp_path / "dup.csv", tmp_path / "edges.csv")


@pytest.mark.parametrize(("banks", "edges", "message"), [
    (BANKS.assign(bank=["A", "A", "C"]), EDGES, "banks: bank 'A' listed twice"),
    (BANKS.assign(equity=[1, -2, 3]), EDGES,
     "data row 2 of the table: column 'equity': -2 is not a non-negative number"),
    (BANKS.assign(external_liabilities=[1, "x", 3]), EDGES,
     "data row 2 of the table: column 'external_liabilities': x is not a non-negative number"),
    (BANKS.assign(external_assets=[1, 2, np.nan]), EDGES,
     "data row 3 of the table: column 'external_assets': nan is not a non-negative number"),
    (BANKS.assign(equity=[0, 0, 0]), EDGES.assign(amount=[1, -1, 0]),
     "data row 2 of the table: exposure -1 is negative or not a number"),
    (BANKS, EDGES.assign(amount=[1, 2, "z"]), "data row 3 of the table: exposure z is negative or not a number"),
    (BANKS, EDGES.assign(lender=["A", "Q", "R"]), "data row 2 of the table: lender 'Q' is not in the bank table"),
    (BANKS, EDGES.assign(borrower=["B", "C", "D"]), "data row 3 of the table: borrower 'D' is not in the bank table"),
    (BANKS.drop(columns="equity"), EDGES,
     "banks: missing column(s) 'equity'; found ['bank', 'external_assets', 'external_liabilities', 'region']"),
    (BANKS, EDGES.drop(columns="amount"), "edges: missing column(s) 'amount'; found ['lender', 'borrower']"),
])
def test_read_network_messages(banks, edges, message):
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        read_network(banks, edges)


def test_read_network_names_the_source():
    banks = BANKS.assign(bank=["A", "A", "C"])
    banks.attrs["source"] = "my_banks.xlsx"
    with pytest.raises(DataError, match=r"^my_banks\.xlsx: bank 'A' listed twice$"):
        read_network(banks, EDGES)
    edges = EDGES.drop(columns="lender")
    edges.attrs["source"] = "my_edges.csv"
    with pytest.raises(DataError, match=r"^my_edges\.csv: missing column\(s\) 'lender'"):
        read_network(BANKS, edges)
    banks = BANKS.drop(columns="bank")
    banks.attrs["source"] = "b.csv"
    with pytest.raises(DataError, match=r"^b\.csv: missing column\(s\) 'bank'"):
        read_network(banks, EDGES)


def test_aggregate_an_empty_network():
    agg = aggregate_network(np.zeros((0, 0)), [])
    assert agg.shape == (0, 0)
    one = aggregate_network(np.zeros((1, 1)), ["x"])
    assert one.to_numpy().tolist() == [[0.0]] and list(one.index) == ["x"]


def test_read_network_converts_text_amounts_and_accepts_zero_exposures():
    b, e = read_network(BANKS, EDGES.assign(amount=["1", "2.5", "0"]))
    X = exposure_matrix(b, e)
    assert X.dtype == float
    np.testing.assert_array_equal(X.toarray(), [[0, 1, 0], [0, 0, 2.5], [0, 0, 0]])


def test_read_network_from_one_workbook(tmp_path):
    book = tmp_path / "network.xlsx"
    with pd.ExcelWriter(book) as xl:  # the edges sheet comes first
        EDGES.to_excel(xl, sheet_name="edges", index=False)
        BANKS.to_excel(xl, sheet_name="banks", index=False)
    b, e = read_network(book, book)
    assert b["bank"].tolist() == ["A", "B", "C"] and e["lender"].tolist() == ["A", "B", "A"]
    np.testing.assert_array_equal(exposure_matrix(b, e).toarray(), [[0, 1.5, 0], [0, 0, 2], [0, 0, 0]])
