#!/usr/bin/env Rscript
# Expected tables for the user-set analysis settings (Settings.rmst_tau, milestone_months,
# zph_transform) on the time to response of the validation cohort (../cohort_long.csv, no
# competing events), computed with R only (survival). The time to response is derived as
# in reference.R (first visit after month 0 with CR or PR, else the last visit with data).
#
# Usage (from this folder):  Rscript settings_reference.R
# R 4.2, survival 3.5. Writes expected/rmst_tau9.csv, expected/rmst_difference_tau9.csv,
# expected/milestones_3_9_18.csv and expected/ph_test_<transform>.csv.

suppressPackageStartupMessages(library(survival))

GROUPS <- c("refractory", "relapse")       # reference first
ALL <- "All"
RESP <- "response (CR or PR)"
TV_FIELDS <- c("upcr", "creatinine", "egfr", "albumin", "anti_dsdna", "anti_dsdna_pos",
               "c3", "c4", "sledai", "steroid_mg", "response")
TAU <- 9
MILESTONES <- c(3, 9, 18)
out <- "expected"
wcsv <- function(x, name) write.csv(x, file.path(out, paste0(name, ".csv")), row.names = FALSE)

d <- read.csv("../cohort_long.csv", stringsAsFactors = FALSE, na.strings = c("", "NA"),
              colClasses = c(patient_id = "character"))
f <- d[d$month > 0 & rowSums(!is.na(d[, TV_FIELDS])) > 0, ]
ids <- unique(d$patient_id)
ids <- ids[ids %in% f$patient_id]
key <- factor(f$patient_id, levels = ids)
resp <- !is.na(f$response) & f$response %in% c("CR", "PR")
first_resp <- tapply(ifelse(resp, f$month, Inf), key, min)
last_data <- tapply(f$month, key, max)
o <- data.frame(patient_id = ids, group = d$group[match(ids, d$patient_id)],
                event = as.numeric(is.finite(first_resp)))
o$time <- as.numeric(ifelse(o$event == 1, first_resp, last_data))
o$group <- factor(o$group, levels = GROUPS)
subsets <- list(o[o$group == GROUPS[1], ], o[o$group == GROUPS[2], ], o)
names(subsets) <- c(GROUPS, ALL)

# RMST at tau = 9: print(survfit(...), rmean = 9) / summary(...)$table
rm <- do.call(rbind, lapply(names(subsets), function(g) {
  s <- subsets[[g]]
  tb <- summary(survfit(Surv(time, event) ~ 1, data = s), rmean = TAU)$table
  data.frame(group = g, tau = TAU, rmst = unname(tb["rmean"]), se = unname(tb["se(rmean)"]),
             n = nrow(s), n_events = sum(s$event))
}))
rm$ci_low <- rm$rmst - qnorm(0.975) * rm$se
rm$ci_high <- rm$rmst + qnorm(0.975) * rm$se
wcsv(rm[, c("group", "tau", "rmst", "se", "ci_low", "ci_high", "n", "n_events")], "rmst_tau9")
a <- rm[1, ]; b <- rm[2, ]; z <- qnorm(0.975)   # survRM2::rmst2 formulas, arm 1 = relapse
dd <- b$rmst - a$rmst; sd <- sqrt(a$se^2 + b$se^2)
lr <- log(b$rmst / a$rmst); sr <- sqrt(a$se^2 / a$rmst^2 + b$se^2 / b$rmst^2)
wcsv(data.frame(group = GROUPS[2], reference = GROUPS[1], tau = TAU, diff = dd,
                diff_ci_low = dd - z * sd, diff_ci_high = dd + z * sd,
                diff_p = 2 * pnorm(-abs(dd / sd)), ratio = exp(lr),
                ratio_ci_low = exp(lr - z * sr), ratio_ci_high = exp(lr + z * sr),
                ratio_p = 2 * pnorm(-abs(lr / sr))), "rmst_difference_tau9")

# 1 - Kaplan-Meier (log-log CI) at months 3, 9, 18: summary(fit, times, extend = TRUE)
miles <- do.call(rbind, lapply(names(subsets), function(g) {
  s <- subsets[[g]]
  km <- survfit(Surv(time, event) ~ 1, data = s, conf.type = "log-log")
  sk <- summary(km, times = MILESTONES, extend = TRUE)
  data.frame(group = g, estimator = "one_minus_km", cause = RESP, month = MILESTONES,
             cum_incidence = 100 * (1 - sk$surv), ci_low = 100 * (1 - sk$upper),
             ci_high = 100 * (1 - sk$lower), std_err = sk$std.err, n_risk = sk$n.risk)
}))
wcsv(miles, "milestones_3_9_18")

# cox.zph under each transform
cx <- coxph(Surv(time, event) ~ group, data = o, ties = "efron")
for (tr in c("identity", "log", "rank")) {
  zz <- cox.zph(cx, transform = tr)
  wcsv(data.frame(term = c("group", "GLOBAL"), chisq = zz$table[, "chisq"],
                  df = zz$table[, "df"], p_value = zz$table[, "p"], transform = tr),
       paste0("ph_test_", tr))
}
