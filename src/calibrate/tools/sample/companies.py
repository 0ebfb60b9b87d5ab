"""The company pool, seeded from the seed alone and shared by all chunks, so leads of one
company agree on name, domain, industry, country and size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from calibrate.tools.sample.draws import draw
from calibrate.tools.sample.strings import join, pick
from calibrate.tools.sample.vocabulary import (
    COMPANY_A,
    COMPANY_B,
    COMPANY_S,
    COUNTRY,
    INDUSTRY,
    LEGAL,
    LEGAL_P,
    TLD,
)


@dataclass(frozen=True)
class CompanyPool:
    """Companies shared by all chunks: leads of one company agree on size, industry, country."""

    name: pa.Array
    domain: pa.Array
    industry: np.ndarray
    country: np.ndarray
    employees: np.ndarray
    cdf: np.ndarray


def company_pool(seed: int) -> CompanyPool:
    """Build the company pool from ``seed`` (all name combinations, shuffled)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    a, b, s = np.meshgrid(
        np.arange(len(COMPANY_A)), np.arange(len(COMPANY_B)), np.arange(len(COMPANY_S))
    )
    a, b, s = (rng.permutation(v.ravel()) for v in (a, b, s))  # independent shuffles
    order = rng.permutation(a.size)
    a, b, s = a[order], b[order], s[order]
    key = a * 10_000 + b * 100 + s
    _, first = np.unique(key, return_index=True)  # drop repeated combinations
    first.sort()
    a, b, s = a[first], b[first], s[first]
    k = a.size
    country = draw(rng, COUNTRY.values(), k)
    countries = list(COUNTRY)
    tld = np.array([TLD.get(c, "com") for c in countries], dtype=object)[country]
    word_a = pa.array(COMPANY_A).take(pa.array(a))
    word_b = pa.array(COMPANY_B).take(pa.array(b))
    word_s = pa.array(COMPANY_S).take(pa.array(s))
    legal = pick(LEGAL, draw(rng, LEGAL_P, k))
    name = join(word_a, word_b, " ", word_s, legal)
    domain = join(pc.utf8_lower(join(word_a, word_b, word_s)), ".", pa.array(tld, pa.string()))
    employees = np.clip(np.round(np.exp(rng.normal(np.log(250), 1.9, k))), 5, 200_000)
    weight = np.exp(rng.normal(0.0, 0.5, k))
    return CompanyPool(
        name=name,
        domain=domain,
        industry=draw(rng, INDUSTRY.values(), k),
        country=country,
        employees=employees.astype(np.int64),
        cdf=np.cumsum(weight) / weight.sum(),
    )
