"""Linear mixed model with one grouping factor, fitted by REML (profiled, as lme4).

``y = X β + Z b + ε`` with ``b_i ~ N(0, σ² Λ Λᵀ)`` per cluster (e.g. per patient) and
``ε ~ N(0, σ² I)``; ``Λ`` is lower-triangular with entries ``θ``. For a given ``θ`` the
fixed effects and ``σ²`` have closed forms, so the REML criterion is minimised over ``θ``
only (Bates et al. 2015, *J Stat Softw* 67(1), section 3): that is what
``lme4::lmer(REML = TRUE)`` does, and ``nlme::lme(method = "REML")`` reaches the same
optimum. Standard errors are ``sqrt(diag(σ² (Xᵀ V⁻¹ X)⁻¹))`` as ``vcov()`` of both;
degrees of freedom and t-tests follow nlme's between/within rule (``summary(lme)$tTable``).

The optimiser (core.stats.mixed_optim: L-BFGS-B with central-difference gradients, restarted off a variance
bound where the deviance falls on leaving it, as lme4's ``restart_edge``; then Newton steps
on a finite-difference Hessian) is not lme4's BOBYQA nor nlme's EM + nlminb, so results
agree with R to the optimiser's precision (checked to 1e-5 relative or better on the
validation cohort and survival::pbcseq), not bit for bit. Everything is vectorised over clusters (2 × 2 blocks), so 100,000 patients
fit in seconds. No domain knowledge here: the lab analyses live in core.analyses.lab_mixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from core.stats.mixed_optim import minimise

SINGULAR_TOL = 1e-4  # lme4::isSingular(tol = 1e-4): a diagonal of Λ below this is a boundary
FIXED_COLUMNS = ["term", "estimate", "se", "df", "t_value", "p_value", "ci_low", "ci_high"]


@dataclass(frozen=True)
class MixedFit:
    """A REML fit of :func:`reml_fit`.

    ``estimate`` and ``cov`` are the fixed effects and their covariance (named by
    ``terms``); ``df`` nlme's degrees of freedom per term; ``random_cov`` the covariance
    of the random effects (named by ``random_terms``); ``sigma`` the residual SD;
    ``reml_loglik`` R's ``logLik(fit, REML = TRUE)``; ``singular`` as
    ``lme4::isSingular(fit, tol = 1e-4)``; ``converged`` whether the optimiser stopped on
    its convergence test.
    """

    terms: tuple[str, ...]
    estimate: np.ndarray
    cov: np.ndarray
    df: np.ndarray
    random_terms: tuple[str, ...]
    random_cov: np.ndarray
    sigma: float
    reml_loglik: float
    theta: np.ndarray
    n_obs: int
    n_clusters: int
    converged: bool
    singular: bool

    def fixed_table(self, level: float = 0.95) -> pd.DataFrame:
        """Fixed effects as ``summary(lme)$tTable`` plus t-based CIs (``intervals``).

        Returns
        -------
        DataFrame with columns term, estimate, se, df, t_value, p_value (two-sided t with
        nlme's df), ci_low, ci_high (estimate ± t(df, (1 + level)/2) · se).
        """
        se = np.sqrt(np.diag(self.cov))
        rows = [
            t_summary(e, s, d, level) for e, s, d in zip(self.estimate, se, self.df, strict=True)
        ]
        out = pd.DataFrame(rows)
        out.insert(0, "term", list(self.terms))
        return out[FIXED_COLUMNS]

    def contrast(self, weights: dict[str, float], df: float, level: float = 0.95) -> dict:
        """Estimate, se, t-test and CI of ``Σ w_k β_k`` (terms missing from the fit count 0).

        Returns dict(estimate, se, df, t_value, p_value, ci_low, ci_high).
        """
        w = np.array([weights.get(t, 0.0) for t in self.terms])
        est = float(w @ self.estimate)
        se = float(np.sqrt(w @ self.cov @ w))
        return t_summary(est, se, df, level)

    def random_table(self) -> pd.DataFrame:
        """Variance components as ``VarCorr``: sd(term) of each random effect, their
        correlations ``cor(a,b)``, and ``sd(residual)``. Columns term, estimate."""
        sd = np.sqrt(np.diag(self.random_cov))
        rows = [(f"sd({t})", s) for t, s in zip(self.random_terms, sd, strict=True)]
        rows.append(("sd(residual)", self.sigma))
        q = len(self.random_terms)
        for i in range(q):
            for j in range(i + 1, q):
                denom = sd[i] * sd[j]
                r = self.random_cov[i, j] / denom if denom > 0 else np.nan
                rows.append((f"cor({self.random_terms[i]},{self.random_terms[j]})", r))
        return pd.DataFrame(rows, columns=["term", "estimate"])


def t_summary(estimate: float, se: float, df: float, level: float = 0.95) -> dict:
    """t-value, two-sided p (``2 * pt(-|t|, df)``) and ``estimate ± qt(.975, df) · se``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
        ok = np.isfinite(t) and df > 0
        p = 2 * special.stdtr(df, -abs(t)) if ok else np.nan
        q = special.stdtrit(df, 1 - (1 - level) / 2) if df > 0 else np.nan
    return {
        "estimate": float(estimate),
        "se": float(se),
        "df": float(df),
        "t_value": float(t),
        "p_value": float(p),
        "ci_low": float(estimate - q * se),
        "ci_high": float(estimate + q * se),
    }


def containment_df(X: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Degrees of freedom per column of X as nlme (``nlme:::getFixDF``, one level).

    A column constant within every cluster is estimated between clusters (df = clusters −
    between columns − 1 for the intercept); one that varies within any cluster, within
    (df = observations − clusters − within columns). The intercept (a constant column)
    gets the larger of the two.
    """
    n, p = X.shape
    const = np.array([np.ptp(X[:, k]) <= 1e-8 * max(1.0, abs(X[0, k])) for k in range(p)])
    within = np.zeros(p, bool)
    for k in np.nonzero(~const)[0]:
        lo = np.full(n_clusters, np.inf)
        hi = np.full(n_clusters, -np.inf)
        np.minimum.at(lo, codes, X[:, k])
        np.maximum.at(hi, codes, X[:, k])
        scale = np.maximum(1.0, np.abs(lo))
        within[k] = bool(((hi - lo) > np.sqrt(np.finfo(float).eps) * scale).any())
    between = ~const & ~within
    df_between = n_clusters - between.sum() - 1
    df_within = n - n_clusters - within.sum()
    return np.where(const, max(df_between, df_within), np.where(within, df_within, df_between))


def _chol_solve(M: np.ndarray, R: np.ndarray) -> tuple[float, np.ndarray]:
    """For each cluster i: Cholesky Mᵢ = Lᵢ Lᵢᵀ; returns (Σ log|Mᵢ|, Lᵢ⁻¹ Rᵢ). Closed
    forms for 1 × 1 and 2 × 2 blocks (the usual random intercept / slope), else LAPACK."""
    q = M.shape[1]
    if q == 1:
        d = np.sqrt(M[:, 0, 0])
        return float(2 * np.log(d).sum()), R / d[:, None, None]
    if q == 2:
        l11 = np.sqrt(M[:, 0, 0])
        l21 = M[:, 1, 0] / l11
        l22 = np.sqrt(M[:, 1, 1] - l21**2)
        w1 = R[:, 0, :] / l11[:, None]
        w2 = (R[:, 1, :] - l21[:, None] * w1) / l22[:, None]
        return float(2 * (np.log(l11).sum() + np.log(l22).sum())), np.stack([w1, w2], axis=1)
    C = np.linalg.cholesky(M)
    logdet = float(2 * np.log(np.diagonal(C, axis1=1, axis2=2)).sum())
    return logdet, np.linalg.solve(C, R)


class _Profile:
    """Cluster-wise cross-products and the profiled REML deviance as a function of θ."""

    def __init__(self, y, X, Z, codes, n_clusters):
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        self.ZtZ = np.zeros((n_clusters, self.q, self.q))
        np.add.at(self.ZtZ, codes, Z[:, :, None] * Z[:, None, :])
        self.ZtX = np.zeros((n_clusters, self.q, self.p))
        np.add.at(self.ZtX, codes, Z[:, :, None] * X[:, None, :])
        self.Zty = np.zeros((n_clusters, self.q))
        np.add.at(self.Zty, codes, Z * y[:, None])
        self.XtX, self.Xty, self.yty = X.T @ X, X.T @ y, float(y @ y)
        self.tril = np.tril_indices(self.q)

    def lam(self, theta: np.ndarray) -> np.ndarray:
        L = np.zeros((self.q, self.q))
        L[self.tril] = theta
        return L

    def solve(self, theta: np.ndarray) -> dict:
        """PLS solution at θ: deviance, β, σ², (Xᵀ V⁻¹ X)⁻¹ / σ²."""
        L = self.lam(theta)
        M = np.matmul(np.matmul(L.T, self.ZtZ), L) + np.eye(self.q)  # Λᵀ Zᵢᵀ Zᵢ Λ + I
        # [Λᵀ Zᵢᵀ Xᵢ | Λᵀ Zᵢᵀ yᵢ], solved against the Cholesky factor of each Mᵢ
        R = np.concatenate([np.matmul(L.T, self.ZtX), (self.Zty @ L)[:, :, None]], axis=2)
        logdet_m, W = _chol_solve(M, R)
        Wf = W.reshape(-1, self.p + 1)
        G = Wf.T @ Wf
        A = self.XtX - G[: self.p, : self.p]
        rhs = self.Xty - G[: self.p, self.p]
        Ainv = np.linalg.inv(A)
        beta = Ainv @ rhs
        r2 = self.yty - G[self.p, self.p] - rhs @ beta
        dof = self.n - self.p
        r2 = max(r2, 1e-300)
        logdet_a = np.linalg.slogdet(A)[1]
        dev = logdet_m + logdet_a + dof * (1 + np.log(2 * np.pi * r2 / dof))
        return {"dev": float(dev), "beta": beta, "sigma2": r2 / dof, "Ainv": Ainv, "lam": L}

    def deviance(self, theta: np.ndarray) -> float:
        try:
            return self.solve(theta)["dev"]
        except np.linalg.LinAlgError:
            return np.inf


def reml_fit(
    y,
    X,
    Z,
    clusters,
    terms: tuple[str, ...],
    random_terms: tuple[str, ...],
) -> MixedFit:
    """Fit ``y ~ X + (Z | cluster)`` by REML with an unstructured random-effects covariance.

    As ``lme4::lmer(y ~ x1 + ... + (z1 + ... | cluster), REML = TRUE)`` and
    ``nlme::lme(y ~ ..., random = ~ z1 + ... | cluster, method = "REML")``.

    Parameters
    ----------
    y, X, Z, clusters
        Response (n), fixed-effects design (n × p, full column rank, with an intercept
        column), random-effects design (n × q), cluster label per row. No missing values.
    terms, random_terms
        Names of the columns of X and of Z.

    Returns
    -------
    MixedFit
    """
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    Z = np.asarray(Z, float)
    if X.ndim != 2 or Z.ndim != 2 or len(y) != len(X) or len(y) != len(Z):
        raise ValueError("y, X and Z must have the same number of rows.")
    labels, codes = np.unique(np.asarray(clusters), return_inverse=True)
    m = len(labels)
    const = np.nonzero(np.ptp(X, axis=0) == 0)[0]
    if len(const) != 1 or X[0, const[0]] == 0:
        raise ValueError("X needs exactly one constant (intercept) column.")
    # Centring y on its mean keeps y'y small next to the residual sum of squares, so the
    # deviance loses no digits to cancellation; the intercept takes the mean back.
    centre = float(y.mean())
    prof = _Profile(y - centre, X, Z, codes, m)
    q = Z.shape[1]
    rows, cols = np.tril_indices(q)
    lower = np.where(rows == cols, 0.0, -np.inf)
    theta, converged = minimise(prof.deviance, lower)
    shift = np.zeros(X.shape[1])
    shift[const[0]] = centre / X[0, const[0]]
    sol = prof.solve(theta)
    L = sol["lam"]
    diag = np.array([theta[k] for k, (r, c) in enumerate(zip(rows, cols, strict=True)) if r == c])
    return MixedFit(
        terms=tuple(terms),
        estimate=sol["beta"] + shift,
        cov=sol["sigma2"] * sol["Ainv"],
        df=containment_df(X, codes, m).astype(float),
        random_terms=tuple(random_terms),
        random_cov=sol["sigma2"] * (L @ L.T),
        sigma=float(np.sqrt(sol["sigma2"])),
        reml_loglik=-sol["dev"] / 2,
        theta=theta,
        n_obs=len(y),
        n_clusters=m,
        converged=converged,
        singular=bool((diag < SINGULAR_TOL).any()),
    )
