#!/usr/bin/env Rscript
# Reference results for lab trajectories over all visits: linear mixed models with a random
# intercept and slope per patient, fitted by REML with lme4::lmer and nlme::lme (both
# recorded; they reach the same REML optimum). Computed from the validation cohort.
#
# Usage (from this folder):  Rscript reference_mixed.R [../cohort_long.csv] [expected]
# Writes <out>/lab_mixed.csv (fixed and random effects) and <out>/lab_slopes.csv (slope per
# group per year and the difference of each group from the reference), for the whole cohort
# (subset "whole") and for isn_class IV or IV+V (subset "class_IV_IVV").
#
# Model, per measure:  y ~ time * group + (1 + time | patient_id), time = month / 12 (years),
# group a factor with the reference group first. UPCR and anti-dsDNA are modelled on the
# natural-log scale; values <= 0 are left out there (log undefined). A fit is singular when
# lme4 says so (isSingular, tol 1e-4: a Cholesky diagonal of the relative covariance below
# 1e-4); then the random-intercept model y ~ time * group + (1 | patient_id) is reported.
# Degrees of freedom follow nlme (between/within "containment" rule of summary(lme)); the
# t-test p-values and t-based 95 % CIs of both engines' rows use those df with the engine's
# own estimate and se (lme4 gives no df of its own). The optimisers are run to tight tolerances so the
# optimum, not a stopping rule, is recorded.

suppressPackageStartupMessages({
  library(lme4)
  library(nlme)
})

args <- commandArgs(trailingOnly = TRUE)
infile <- if (length(args) >= 1) args[1] else "../cohort_long.csv"
outdir <- if (length(args) >= 2) args[2] else "expected"

GROUPS <- c("refractory", "relapse")  # first = reference
MEASURES <- c("upcr", "creatinine", "egfr", "albumin", "anti_dsdna", "c3", "c4", "sledai",
              "steroid_mg")
LOG_MEASURES <- c("upcr", "anti_dsdna")
SUBSETS <- list(whole = NULL, class_IV_IVV = c("IV", "IV+V"))
LEVEL <- 0.95

d0 <- read.csv(infile, stringsAsFactors = FALSE, na.strings = c("", "NA"),
               colClasses = c(patient_id = "character"))

lmer_ctrl <- lmerControl(optimizer = "nloptwrap",
                         optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-14,
                                        xtol_abs = 1e-12, xtol_rel = 1e-12,
                                        maxeval = 1e5),
                         check.conv.singular = "ignore")
lme_ctrl <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-12,
                       niterEM = 100, msTol = 1e-14, returnObject = TRUE)

# R's term labels -> the names written in the tables (the same as the Python side).
term_name <- function(x) {
  x <- sub("^\\(Intercept\\)$", "intercept", x)
  x <- gsub("group([A-Za-z0-9_]+)", "group=\\1", x)
  x
}

model_data <- function(d, measure) {
  y <- d[[measure]]
  scale <- if (measure %in% LOG_MEASURES) "log" else "identity"
  keep <- !is.na(y) & !is.na(d$group) & !is.na(d$month)
  if (scale == "log") keep <- keep & y > 0
  m <- data.frame(patient_id = factor(d$patient_id[keep]),
                  group = factor(d$group[keep], levels = GROUPS),
                  time = d$month[keep] / 12,
                  y = if (scale == "log") log(y[keep]) else y[keep])
  list(data = m, scale = scale)
}

fit_one <- function(m) {
  full <- lmer(y ~ time * group + (1 + time | patient_id), data = m, REML = TRUE,
               control = lmer_ctrl)
  if (!isSingular(full, tol = 1e-4)) {
    lme_fit <- lme(y ~ time * group, random = ~ 1 + time | patient_id, data = m,
                   method = "REML", control = lme_ctrl)
    return(list(lmer = full, lme = lme_fit, model = "random intercept and slope"))
  }
  ri <- lmer(y ~ time * group + (1 | patient_id), data = m, REML = TRUE, control = lmer_ctrl)
  lme_fit <- lme(y ~ time * group, random = ~ 1 | patient_id, data = m, method = "REML",
                 control = lme_ctrl)
  list(lmer = ri, lme = lme_fit, model = "random intercept")
}

# Variance components as rows: sd of each random effect, their correlation, residual sd.
random_rows <- function(fit, engine) {
  if (engine == "lme4") {
    vc <- as.data.frame(VarCorr(fit))
    nm <- ifelse(is.na(vc$var1), "sd(residual)",
           ifelse(is.na(vc$var2), paste0("sd(", vc$var1, ")"),
                  paste0("cor(", vc$var1, ",", vc$var2, ")")))
    est <- vc$sdcor
  } else {
    G <- as.matrix(getVarCov(fit))  # random-effects covariance, full precision
    rn <- rownames(G)
    nm <- c(paste0("sd(", rn, ")"), "sd(residual)")
    est <- c(sqrt(diag(G)), fit$sigma)
    if (nrow(G) == 2) {
      nm <- c(nm, paste0("cor(", rn[1], ",", rn[2], ")"))
      est <- c(est, G[1, 2] / sqrt(G[1, 1] * G[2, 2]))
    }
  }
  nm <- gsub("\\(Intercept\\)", "intercept", nm)
  data.frame(effect = "random", term = nm, estimate = est, se = NA, df = NA, t_value = NA,
             p_value = NA, ci_low = NA, ci_high = NA)
}

# Fixed effects: estimate and se of the engine; df = nlme's (summary(lme)$tTable[, "DF"],
# between/within rule), used for both engines' t-test p-values and t-based 95 % CIs.
fixed_rows <- function(fit, engine, df) {
  co <- if (engine == "lme4") summary(fit)$coefficients else summary(fit)$tTable
  est <- co[, 1]
  se <- co[, 2]
  q <- qt(1 - (1 - LEVEL) / 2, df)
  data.frame(effect = "fixed", term = term_name(rownames(co)), estimate = est, se = se,
             df = df, t_value = est / se, p_value = 2 * pt(-abs(est / se), df),
             ci_low = est - q * se, ci_high = est + q * se)
}

# Slope of each group (reference: b_time; other: b_time + b_time:group) and each
# difference from the reference (b_time:group), with vcov-based SEs; df = nlme's df of the
# time term (within-patient stratum, the same for both terms).
slope_rows <- function(fit, df) {
  b <- fixef(fit)
  V <- as.matrix(vcov(fit))
  out <- list()
  for (g in GROUPS) {
    L <- setNames(rep(0, length(b)), names(b))
    L["time"] <- 1
    if (g != GROUPS[1]) L[paste0("time:group", g)] <- 1
    out[[length(out) + 1]] <- c(kind = "slope", group = g, lc(L, b, V, df))
    if (g != GROUPS[1]) {
      L <- setNames(rep(0, length(b)), names(b))
      L[paste0("time:group", g)] <- 1
      out[[length(out) + 1]] <- c(kind = "difference", group = g, lc(L, b, V, df))
    }
  }
  r <- as.data.frame(do.call(rbind, out), stringsAsFactors = FALSE)
  num <- c("estimate", "se", "df", "ci_low", "ci_high", "p_value")
  r[num] <- lapply(r[num], as.numeric)
  r$reference <- GROUPS[1]
  r
}

lc <- function(L, b, V, df) {
  est <- sum(L * b)
  se <- sqrt(drop(t(L) %*% V %*% L))
  q <- qt(1 - (1 - LEVEL) / 2, df)
  c(estimate = est, se = se, df = df, ci_low = est - q * se, ci_high = est + q * se,
    p_value = 2 * pt(-abs(est / se), df))
}

mixed_rows <- list()
slopes <- list()
for (subset in names(SUBSETS)) {
  d <- d0
  if (!is.null(SUBSETS[[subset]])) d <- d[d$isn_class %in% SUBSETS[[subset]], ]
  for (measure in MEASURES) {
    md <- model_data(d, measure)
    fits <- fit_one(md$data)
    df <- summary(fits$lme)$tTable[, "DF"]
    for (engine in c("lme4", "nlme")) {
      fit <- if (engine == "lme4") fits$lmer else fits$lme
      ll <- as.numeric(logLik(fit, REML = TRUE))
      info <- data.frame(subset = subset, engine = engine, measure = measure,
                         scale = md$scale, model = fits$model,
                         n_obs = nrow(md$data), n_patients = nlevels(md$data$patient_id),
                         reml_loglik = ll)
      rows <- rbind(fixed_rows(fit, engine, df), random_rows(fit, engine))
      mixed_rows[[length(mixed_rows) + 1]] <- cbind(info, rows, row.names = NULL)
      slopes[[length(slopes) + 1]] <- cbind(info, slope_rows(fit, df[["time"]]), row.names = NULL)
    }
  }
}
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
fmt <- function(x) {
  x[] <- lapply(x, function(col) if (is.numeric(col)) sprintf("%.15g", col) else col)
  x[] <- lapply(x, function(col) ifelse(col == "NA", "", col))
  x
}
write.csv(fmt(do.call(rbind, mixed_rows)), file.path(outdir, "lab_mixed.csv"),
          row.names = FALSE, na = "")
write.csv(fmt(do.call(rbind, slopes)), file.path(outdir, "lab_slopes.csv"),
          row.names = FALSE, na = "")
cat("R", R.version.string, "lme4", format(packageVersion("lme4")), "nlme",
    format(packageVersion("nlme")), "\n")
