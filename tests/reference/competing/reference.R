#!/usr/bin/env Rscript
# Expected competing-risk, RMST, PH-check and pairwise tables for the validation cohort
# with competing events (cohort_competing.csv, made by make_competing.py), computed with
# R only (survival + cmprsk). Column names as core/analyses/competing_risks.py and
# survival_checks.py. Also writes the checks on R's own data sets (mgus2, lung) into
# ../r_datasets/expected/.
#
# Usage (from this folder):  Rscript reference.R
# R 4.2, survival 3.5, cmprsk 2.2. survRM2 is not used (not installed here): its rmst2
# difference and ratio are written out below with survRM2's formulas.

suppressPackageStartupMessages({library(survival); library(cmprsk)})

GROUPS <- c("refractory", "relapse")       # reference first
ALL <- "All"
RESP <- "response (CR or PR)"
CAUSES <- c("0" = "censored", "1" = RESP, "2" = "death", "3" = "ESKD",
            "4" = "treatment discontinuation")
TV_FIELDS <- c("upcr", "creatinine", "egfr", "albumin", "anti_dsdna", "anti_dsdna_pos",
               "c3", "c4", "sledai", "steroid_mg", "response")
MILESTONES <- c(6, 12)
RISK_STEP <- 3
out <- "expected"
dir.create(out, showWarnings = FALSE)
wcsv <- function(x, name, dir = out) write.csv(x, file.path(dir, paste0(name, ".csv")),
                                              row.names = FALSE)

d <- read.csv("cohort_competing.csv", stringsAsFactors = FALSE, na.strings = c("", "NA"),
              colClasses = c(patient_id = "character"))

# ------------------------------------------------------------- time and status
# Time to response as ../reference.R: first visit after month 0 with CR or PR (event),
# else the last visit after month 0 with any data (censored). Then the competing event:
# the earliest of death, ESKD, discontinuation (ties in that order); it ends follow-up
# with its code (2, 3, 4) when it comes before the response, or when there is no
# response (also after the last visit); a response at the competing event's month counts.
ttr <- function(d) {
  f <- d[d$month > 0 & rowSums(!is.na(d[, TV_FIELDS])) > 0, ]
  ids <- unique(d$patient_id)
  ids <- ids[ids %in% f$patient_id]
  key <- factor(f$patient_id, levels = ids)
  resp <- !is.na(f$response) & f$response %in% c("CR", "PR")
  first_resp <- tapply(ifelse(resp, f$month, Inf), key, min)
  last_data <- tapply(f$month, key, max)
  event <- as.numeric(is.finite(first_resp))
  p <- d[match(ids, d$patient_id), ]
  data.frame(patient_id = ids, group = p$group, isn_class = p$isn_class,
             time = as.numeric(ifelse(event == 1, first_resp, last_data)), event = event,
             death = p$death_month, eskd = p$eskd_month, disc = p$discontinued_month)
}
t <- ttr(d)
cm <- cbind(t$death, t$eskd, t$disc)
first <- apply(cm, 1, function(r) if (all(is.na(r))) NA else min(r, na.rm = TRUE))
which_c <- apply(cm, 1, function(r) if (all(is.na(r))) NA else which.min(r) + 1)
ends <- !is.na(first) & first > 0 & (first < t$time | t$event == 0)
t$status <- ifelse(ends, which_c, t$event)
t$time <- ifelse(ends, first, t$time)
t$cause <- unname(CAUSES[as.character(t$status)])
wcsv(t[, c("patient_id", "group", "time", "status", "cause")], "competing_patients")
codes <- sort(unique(t$status[t$status > 0]))

# ------------------------------------------------------------ curves and risk
subsets <- c(lapply(GROUPS, function(g) t[t$group == g, ]), list(t))
names(subsets) <- c(GROUPS, ALL)
curves <- list(); risk <- list(); miles <- list()
times <- seq(0, max(t$time), by = RISK_STEP)
for (g in names(subsets)) {
  s <- subsets[[g]]
  fit <- survfit(Surv(time, factor(status, levels = c(0, codes))) ~ 1, data = s)
  stopifnot(fit$conf.type == "log")
  sm <- summary(fit, times = MILESTONES, extend = TRUE)
  for (k in seq_along(codes)) {
    st <- as.character(codes[k])
    curves[[length(curves) + 1]] <- data.frame(
      group = g, estimator = "aalen_johansen", cause = CAUSES[[st]], time = fit$time,
      n_risk = fit$n.risk[, 1], n_event = fit$n.event[, k + 1], n_censor = fit$n.censor,
      cum_incidence = 100 * fit$pstate[, k + 1], ci_low = 100 * fit$lower[, k + 1],
      ci_high = 100 * fit$upper[, k + 1], std_err = fit$std.err[, k + 1])
    miles[[length(miles) + 1]] <- data.frame(
      group = g, estimator = "aalen_johansen", cause = CAUSES[[st]], month = MILESTONES,
      cum_incidence = 100 * sm$pstate[, k + 1], ci_low = 100 * sm$lower[, k + 1],
      ci_high = 100 * sm$upper[, k + 1], std_err = sm$std.err[, k + 1],
      n_risk = sm$n.risk[, 1])
  }
  km <- survfit(Surv(time, status == 1) ~ 1, data = s, conf.type = "log-log")
  curves[[length(curves) + 1]] <- data.frame(
    group = g, estimator = "one_minus_km", cause = RESP, time = km$time,
    n_risk = km$n.risk, n_event = km$n.event, n_censor = km$n.censor,
    cum_incidence = 100 * (1 - km$surv), ci_low = 100 * (1 - km$upper),
    ci_high = 100 * (1 - km$lower), std_err = km$surv * km$std.err)
  sk <- summary(km, times = MILESTONES, extend = TRUE)
  miles[[length(miles) + 1]] <- data.frame(
    group = g, estimator = "one_minus_km", cause = RESP, month = MILESTONES,
    cum_incidence = 100 * (1 - sk$surv), ci_low = 100 * (1 - sk$upper),
    ci_high = 100 * (1 - sk$lower), std_err = sk$std.err, n_risk = sk$n.risk)  # summary: SE of S
  risk[[g]] <- data.frame(
    group = g, time = times, n_risk = sapply(times, function(u) sum(s$time >= u)),
    cum_events = sapply(times, function(u) sum(s$status == 1 & s$time <= u)),
    cum_competing = sapply(times, function(u) sum(s$status > 1 & s$time <= u)),
    cum_censored = sapply(times, function(u) sum(s$status == 0 & s$time <= u)))
}
wcsv(do.call(rbind, curves), "cif_curve")
wcsv(do.call(rbind, risk), "cif_risk")
wcsv(do.call(rbind, miles), "milestones")

# --------------------------------------------------------------- Gray, Fine-Gray
ci <- cuminc(t$time, t$status, t$group, cencode = 0)
tests <- ci$Tests
wcsv(data.frame(cause = unname(CAUSES[rownames(tests)]), test = "gray",
                statistic = tests[, "stat"], df = tests[, "df"], p_value = tests[, "pv"]),
     "cif_tests")
x <- model.matrix(~ factor(group, levels = GROUPS), t)[, -1, drop = FALSE]
# crr stops at its gradient tolerance (default gtol 1e-6), here ~5e-6 (relative) short of
# the maximum in the coefficient; gtol = 1e-9 iterates to the maximum (as the Python fit).
fg <- crr(t$time, t$status, x, failcode = 1, cencode = 0, gtol = 1e-9)
se <- sqrt(diag(fg$var))
wcsv(data.frame(term = paste(GROUPS[2], "vs", GROUPS[1]), shr = exp(fg$coef),
                ci_low = exp(fg$coef - qnorm(0.975) * se),
                ci_high = exp(fg$coef + qnorm(0.975) * se),
                p_value = 2 * pnorm(-abs(fg$coef / se)), coef = fg$coef, se = se,
                n = fg$n, n_events = sum(t$status == 1), n_competing = sum(t$status > 1)),
     "cif_regression")

# ------------------------------------------ RMST, PH check, pairwise (no competing)
# on the plain time to response of the original cohort (../cohort_long.csv)
o <- ttr(transform(read.csv("../cohort_long.csv", stringsAsFactors = FALSE,
                            na.strings = c("", "NA"), colClasses = c(patient_id = "character")),
                   death_month = NA, eskd_month = NA, discontinued_month = NA))
o$group <- factor(o$group, levels = GROUPS)
tau <- min(tapply(o$time, o$group, max))
rm_row <- function(s, g) {
  tb <- summary(survfit(Surv(time, event) ~ 1, data = s), rmean = tau)$table
  data.frame(group = g, tau = tau, rmst = unname(tb["rmean"]), se = unname(tb["se(rmean)"]),
             n = nrow(s), n_events = sum(s$event))
}
rm <- rbind(rm_row(o[o$group == GROUPS[1], ], GROUPS[1]),
            rm_row(o[o$group == GROUPS[2], ], GROUPS[2]), rm_row(o, ALL))
rm$ci_low <- rm$rmst - qnorm(0.975) * rm$se
rm$ci_high <- rm$rmst + qnorm(0.975) * rm$se
wcsv(rm[, c("group", "tau", "rmst", "se", "ci_low", "ci_high", "n", "n_events")], "rmst")
rmst2_like <- function(a, b) {   # survRM2::rmst2 contrasts, arm 1 = b, arm 0 = a
  z <- qnorm(0.975)
  dd <- b$rmst - a$rmst; sd <- sqrt(a$se^2 + b$se^2)
  lr <- log(b$rmst / a$rmst); sr <- sqrt(a$se^2 / a$rmst^2 + b$se^2 / b$rmst^2)
  data.frame(diff = dd, diff_ci_low = dd - z * sd, diff_ci_high = dd + z * sd,
             diff_p = 2 * pnorm(-abs(dd / sd)), ratio = exp(lr),
             ratio_ci_low = exp(lr - z * sr), ratio_ci_high = exp(lr + z * sr),
             ratio_p = 2 * pnorm(-abs(lr / sr)))
}
wcsv(cbind(data.frame(group = GROUPS[2], reference = GROUPS[1], tau = tau),
           rmst2_like(rm[1, ], rm[2, ])), "rmst_difference")
cx <- coxph(Surv(time, event) ~ group, data = o, ties = "efron")
z <- cox.zph(cx)   # transform = "km"
wcsv(data.frame(term = c("group", "GLOBAL"), chisq = z$table[, "chisq"],
                df = z$table[, "df"], p_value = z$table[, "p"], transform = "km"), "ph_test")
z1 <- cox.zph(cx, terms = FALSE)
wcsv(data.frame(term = paste(GROUPS[2], "vs", GROUPS[1]), time = z1$time, g_time = z1$x,
                scaled_residual = z1$y[, 1]), "ph_residuals")
# pairwise log-rank over ISN/RPS class (five groups), Holm
cls <- sort(unique(o$isn_class))
pw <- do.call(rbind, combn(cls, 2, simplify = FALSE, FUN = function(ab) {
  s <- o[o$isn_class %in% ab, ]
  sd <- survdiff(Surv(time, event) ~ isn_class, data = s)
  data.frame(group_a = ab[1], group_b = ab[2], n_a = sum(s$isn_class == ab[1]),
             n_b = sum(s$isn_class == ab[2]), statistic = sd$chisq, df = 1,
             p_value = pchisq(sd$chisq, 1, lower.tail = FALSE))
}))
pw$p_holm <- p.adjust(pw$p_value, "holm")
wcsv(pw, "pairwise_logrank_isn_class")

# without competing events (the plain cohort): Gray's test and crr of the response alone
gp <- cuminc(o$time, o$event, as.character(o$group))$Tests
xo <- model.matrix(~ group, o)[, -1, drop = FALSE]
fo <- crr(o$time, o$event, xo, failcode = 1, cencode = 0, gtol = 1e-9)
so <- sqrt(diag(fo$var))
wcsv(data.frame(cause = RESP, test = "gray", statistic = gp[, "stat"], df = gp[, "df"],
                p_value = gp[, "pv"]), "cif_tests_no_competing")
wcsv(data.frame(term = paste(GROUPS[2], "vs", GROUPS[1]), shr = exp(fo$coef),
                ci_low = exp(fo$coef - qnorm(0.975) * so),
                ci_high = exp(fo$coef + qnorm(0.975) * so),
                p_value = 2 * pnorm(-abs(fo$coef / so)), coef = fo$coef, se = so, n = fo$n,
                n_events = sum(o$event), n_competing = 0,
                coef_cox_breslow = unname(coef(coxph(Surv(time, event) ~ group, data = o,
                                                     ties = "breslow")))),
     "cif_regression_no_competing")

# ------------------------------------------------------------- R's own data sets
rd <- "../r_datasets/expected"
dir.create(rd, showWarnings = FALSE)
m <- read.csv("../r_datasets/mgus2.csv", stringsAsFactors = FALSE)
stopifnot(nrow(m) == nrow(mgus2), all.equal(m$futime, mgus2$futime))
m$etime <- ifelse(m$pstat == 0, m$futime, m$ptime)
m$event <- ifelse(m$pstat == 0, 2 * m$death, 1)
cm2 <- cuminc(m$etime, m$event, m$sex)
wcsv(data.frame(cause = as.integer(rownames(cm2$Tests)), statistic = cm2$Tests[, "stat"],
                p_value = cm2$Tests[, "pv"], df = cm2$Tests[, "df"]), "mgus2_gray", rd)
rows <- list()
for (sx in c("F", "M")) {
  f <- survfit(Surv(etime, factor(event)) ~ 1, data = m[m$sex == sx, ])
  s <- summary(f, times = c(12, 60, 100, 200), extend = TRUE)
  for (k in 1:2) {
    rows[[length(rows) + 1]] <- data.frame(sex = sx, cause = k, time = s$time,
      cif = s$pstate[, k + 1], std_err = s$std.err[, k + 1], lower = s$lower[, k + 1],
      upper = s$upper[, k + 1], cuminc_est = timepoints(cm2, s$time)$est[paste(sx, k), ])
  }
}
mc <- do.call(rbind, rows)
stopifnot(max(abs(mc$cif - mc$cuminc_est)) < 1e-12)
wcsv(mc, "mgus2_cif", rd)
ag <- cut(m$age, c(0, 60, 75, 200))
x2 <- model.matrix(~ sex + ag, cbind(m, ag = ag))[, -1]
fr <- do.call(rbind, lapply(1:2, function(k) {
  f <- crr(m$etime, m$event, x2, failcode = k)
  data.frame(cause = k, term = colnames(x2), coef = f$coef, se = sqrt(diag(f$var)))
}))
wcsv(fr, "mgus2_crr", rd)
l <- read.csv("../r_datasets/lung.csv")
lr <- do.call(rbind, lapply(1:2, function(sx) {
  tb <- summary(survfit(Surv(time, status) ~ 1, data = l[l$sex == sx, ]), rmean = 965)$table
  data.frame(sex = sx, rmst = unname(tb["rmean"]), se = unname(tb["se(rmean)"]))
}))
wcsv(cbind(lr, rbind(NA, rmst2_like(lr[1, ], lr[2, ]))), "lung_rmst", rd)
le <- na.omit(l[, c("time", "status", "sex", "age", "ph.ecog")])
le$ecog <- factor(pmin(le$ph.ecog, 2))
fz <- coxph(Surv(time, status) ~ sex + age + ecog, data = le)
zz <- do.call(rbind, lapply(c("km", "identity", "log", "rank"), function(tr) {
  z <- cox.zph(fz, transform = tr)
  data.frame(transform = tr, term = rownames(z$table), chisq = z$table[, "chisq"],
             df = z$table[, "df"], p_value = z$table[, "p"])
}))
wcsv(zz, "lung_zph", rd)
# Gray's test with three groups (2 df) and tied times: mgus2 by age band, months rounded
ab <- as.character(cut(m$age, c(0, 60, 75, 200), labels = c("a<=60", "b60-75", "c>75")))
cm3 <- cuminc(round(m$etime / 6), m$event, ab)
wcsv(data.frame(cause = as.integer(rownames(cm3$Tests)), statistic = cm3$Tests[, "stat"],
                p_value = cm3$Tests[, "pv"], df = cm3$Tests[, "df"]), "mgus2_gray_age", rd)
