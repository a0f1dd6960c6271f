#!/usr/bin/env Rscript
# Reference results of the long-term analyses (flares, kidney outcomes, steroid exposure),
# computed with R only (stats + survival) from a canonical long cohort file. Written
# independently of the Python code, from the definitions in
# core/analyses/{flares,kidney_outcomes,steroid_exposure}.py docstrings and
# tests/reference/long_term/README.md.
#
# Usage: Rscript long_term.R INFILE OUTDIR
# Writes OUTDIR/<table>.csv for every table the tests compare.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
infile <- if (length(args) >= 1) args[1] else "cohort_long_term.csv"
outdir <- if (length(args) >= 2) args[2] else "expected"
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)

ALL <- "All"
LANDMARKS <- c(6, 12)
WINDOW <- 1
RISK_STEP <- 3
TOL <- 1e-9
DAYS_PER_MONTH <- 30.4375
leq <- function(a, b) a <= b + TOL * abs(b)
geq <- function(a, b) a >= b - TOL * abs(b)

d <- read.csv(infile, stringsAsFactors = FALSE, na.strings = c("", "NA"),
              colClasses = c(patient_id = "character"))
d <- d[order(d$patient_id, d$month), ]
GROUPS <- sort(unique(d$group))
REF <- if ("refractory" %in% GROUPS) "refractory" else GROUPS[1]
GROUPS <- c(REF, setdiff(GROUPS, REF))
pats <- d[!duplicated(d$patient_id), ]
ids <- pats$patient_id
group_of <- setNames(pats$group, pats$patient_id)
num_col <- function(name) {
  if (name %in% names(pats)) setNames(as.numeric(pats[[name]]), ids)
  else setNames(rep(NA_real_, length(ids)), ids)
}

# landmark visit: nearest within the window (baseline +/- 1), the earlier on a tie
landmark_month <- function(v, L) {
  w <- v[abs(v$month - L) <= (if (L == 0) 1 else WINDOW), ]
  if (!nrow(w)) return(NA_real_)
  w <- w[order(abs(w$month - L), w$month), ]
  w$month[1]
}

write_out <- function(x, name) write.csv(x, file.path(outdir, paste0(name, ".csv")),
                                         row.names = FALSE, na = "")

# ---------------------------------------------------------------- event-time tables
event_tables <- function(t, outcome) {
  t <- t[!is.na(t$time), ]
  t$group <- factor(t$group, levels = GROUPS)
  times <- seq(0, max(t$time), by = RISK_STEP)
  curve <- risk <- summ <- list()
  for (g in c(GROUPS, ALL)) {
    tg <- if (g == ALL) t else t[t$group == g, ]
    if (!nrow(tg)) next
    fit <- survfit(Surv(time, event) ~ 1, data = tg, conf.type = "log-log")
    curve[[g]] <- data.frame(outcome = outcome, group = g, time = fit$time,
                             n_risk = fit$n.risk, n_event = fit$n.event,
                             n_censor = fit$n.censor, cum_incidence = 100 * (1 - fit$surv),
                             ci_low = 100 * (1 - fit$upper), ci_high = 100 * (1 - fit$lower),
                             surv = fit$surv)
    s <- summary(fit, times = times, extend = TRUE)
    risk[[g]] <- data.frame(outcome = outcome, group = g, time = s$time, n_risk = s$n.risk,
                            cum_events = cumsum(s$n.event), cum_censored = cumsum(s$n.censor))
    tb <- summary(fit)$table
    summ[[g]] <- data.frame(outcome = outcome, group = g, n = unname(tb["records"]),
                            n_events = unname(tb["events"]),
                            events_pct = 100 * unname(tb["events"]) / unname(tb["records"]),
                            median_time = unname(tb["median"]),
                            median_ci_low = unname(tb["0.95LCL"]),
                            median_ci_high = unname(tb["0.95UCL"]))
  }
  tests <- NULL
  if (sum(t$event) == 0 && length(unique(t$group)) > 1)  # no events: no test, a row saying so
    tests <- data.frame(outcome = outcome, test = "log-rank", term = "", statistic = NA, df = 0,
                        hr = NA, ci_low = NA, ci_high = NA, p_value = NA)
  if (sum(t$event) > 0 && length(unique(t$group)) > 1) {
    sd <- survdiff(Surv(time, event) ~ group, data = t)
    df <- sum(sd$exp > 0) - 1
    # df = 0 (every event where one group alone is at risk): no test, statistic and p empty
    tests <- data.frame(outcome = outcome, test = "log-rank", term = "",
                        statistic = if (df > 0) sd$chisq else NA, df = df, hr = NA,
                        ci_low = NA, ci_high = NA,
                        p_value = if (df > 0) pchisq(sd$chisq, df, lower.tail = FALSE) else NA)
    by_g <- tapply(t$event, t$group, sum)
    if (all(by_g > 0)) {  # a group without events has no finite hazard ratio
      sc <- summary(coxph(Surv(time, event) ~ group, data = t, ties = "efron"))
      tests <- rbind(tests, data.frame(outcome = outcome, test = "cox",
                                       term = paste(GROUPS[2], "vs", GROUPS[1]),
                                       statistic = NA, df = NA,
                                       hr = sc$conf.int[1, "exp(coef)"],
                                       ci_low = sc$conf.int[1, "lower .95"],
                                       ci_high = sc$conf.int[1, "upper .95"],
                                       p_value = sc$coefficients[1, "Pr(>|z|)"]))
    }
  }
  list(curve = do.call(rbind, curve), risk = do.call(rbind, risk),
       summary = do.call(rbind, summ), tests = tests)
}

bind <- function(parts, what) do.call(rbind, lapply(parts, `[[`, what))

# ------------------------------------------------------------------------- flares
DEFINITIONS <- list(
  aurora2 = list(kind = "aurora2", confirm = FALSE),
  aurora2_confirmed = list(kind = "aurora2", confirm = TRUE),
  custom = list(kind = "custom", confirm = FALSE, fold = 2, floor = 1, creat = NA),
  custom_creatinine = list(kind = "custom", confirm = TRUE, fold = 2, floor = 1, creat = 30)
)

meets <- function(def, p, nadir, c, cn) {
  if (def$kind == "aurora2") {
    if (is.na(nadir) || is.na(p)) return(c(FALSE, FALSE))
    thr <- if (nadir < 0.2) 1 else if (nadir <= 1) 2 else NA
    return(c(!is.na(thr) && p > thr, FALSE))
  }
  by_p <- !is.na(p) && !is.na(nadir) && geq(p, def$fold * nadir) && geq(p, def$floor)
  by_c <- !is.na(def$creat) && !is.na(c) && !is.na(cn) && geq(c, (1 + def$creat / 100) * cn)
  c(by_p || by_c, by_c && !by_p)
}

flares_of <- function(def, m, p, cr, resp) {
  out <- list()
  since <- NA; nadir <- NA; cn <- NA; resume <- 0
  i <- 1
  while (i <= length(m)) {
    if (is.na(since)) {
      if (i > resume && resp[i]) { since <- m[i]; nadir <- p[i]; cn <- cr[i] }
      i <- i + 1
      next
    }
    h <- meets(def, p[i], nadir, cr[i], cn)
    conf_month <- m[i]; conf_i <- i
    if (h[1] && def$confirm) {
      col <- if (h[2]) cr else p
      later <- which(!is.na(col) & seq_along(col) > i)
      if (length(later) && meets(def, p[later[1]], nadir, cr[later[1]], cn)[1]) {
        conf_month <- m[later[1]]; conf_i <- later[1]
      } else h[1] <- FALSE
    }
    if (h[1]) {
      out[[length(out) + 1]] <- data.frame(response_month = since, month = m[i], upcr = p[i],
                                           nadir_upcr = nadir, confirmed_month = conf_month)
      since <- NA; nadir <- NA; cn <- NA; resume <- conf_i
      i <- i + 1
      next
    }
    nadir <- if (is.na(nadir)) p[i] else if (is.na(p[i])) nadir else min(nadir, p[i])
    cn <- if (is.na(cn)) cr[i] else if (is.na(cr[i])) cn else min(cn, cr[i])
    i <- i + 1
  }
  do.call(rbind, out)
}

fl_events <- list(); fl_pats <- list()
for (pid in ids) {
  v <- d[d$patient_id == pid, ]
  a <- v[v$month > 0, ]
  resp <- !is.na(a$response) & a$response %in% c("CR", "PR")
  if (!any(resp)) next
  first <- a$month[resp][1]
  last <- max(v$month)
  for (dn in names(DEFINITIONS)) {
    f <- flares_of(DEFINITIONS[[dn]], a$month, a$upcr, a$creatinine, resp)
    nf <- if (is.null(f)) 0 else nrow(f)
    if (nf) fl_events[[length(fl_events) + 1]] <- cbind(definition = dn, patient_id = pid,
                                                        group = group_of[[pid]], f)
    fl_pats[[length(fl_pats) + 1]] <- data.frame(
      definition = dn, patient_id = pid, group = group_of[[pid]],
      first_response_month = first, followup_years = (last - first) / 12, n_flares = nf,
      time = if (last > first) (if (nf) f$month[1] else last) - first else NA,
      event = as.numeric(nf > 0))
  }
}
fl_events <- do.call(rbind, fl_events)
fl_pats <- do.call(rbind, fl_pats)
write_out(fl_events, "flare_events")
write_out(fl_pats, "flare_patients")

rates <- list(); ft <- list()
for (dn in names(DEFINITIONS)) {
  p <- fl_pats[fl_pats$definition == dn, ]
  et <- event_tables(data.frame(group = p$group, time = p$time, event = p$event), dn)
  ft[[dn]] <- et
  per <- list()
  for (g in c(GROUPS, ALL)) {
    s <- if (g == ALL) p else p[p$group == g, ]
    x <- sum(s$n_flares); py <- sum(s$followup_years)
    pt <- poisson.test(x, py)
    per[[g]] <- c(x, py)
    sm <- et$summary[et$summary$group == g, ]
    rates[[length(rates) + 1]] <- data.frame(
      definition = dn, group = g, n_responders = nrow(s), n_patients_flare = sum(s$n_flares > 0),
      n_flares = x, patient_years = py, rate_per_100py = 100 * x / py,
      rate_ci_low = 100 * pt$conf.int[1], rate_ci_high = 100 * pt$conf.int[2],
      median_time = sm$median_time, median_ci_low = sm$median_ci_low,
      median_ci_high = sm$median_ci_high)
  }
  g1 <- GROUPS[2]
  if (per[[g1]][1] + per[[REF]][1] > 0) {
    rr <- poisson.test(c(per[[g1]][1], per[[REF]][1]), c(per[[g1]][2], per[[REF]][2]))
    ft[[dn]]$tests <- rbind(ft[[dn]]$tests, data.frame(
      outcome = dn, test = "rate ratio", term = paste(g1, "vs", REF), statistic = NA, df = NA,
      hr = unname(rr$estimate), ci_low = rr$conf.int[1], ci_high = rr$conf.int[2],
      p_value = rr$p.value))
  }
}
rn <- function(x) { names(x)[names(x) == "outcome"] <- "definition"; x }
write_out(do.call(rbind, rates), "flares")
write_out(rn(bind(ft, "curve")), "flare_curve")
write_out(rn(bind(ft, "risk")), "flare_risk")
write_out(rn(bind(ft, "tests")), "flare_tests")

# --------------------------------------------------------------- kidney outcomes
sustained <- function(m, x, hit, last_counts = TRUE) {
  keep <- !is.na(x); m <- m[keep]; x <- x[keep]
  h <- hit(x)
  for (i in which(h)) {
    if (i < length(x) && h[i + 1]) return(m[i])
    if (i == length(x) && last_counts) return(m[i])
  }
  NA_real_
}
death_flag <- rep(FALSE, length(ids))
if ("death" %in% names(pats)) death_flag <- tolower(trimws(as.character(pats$death))) %in%
  c("1", "1.0", "true", "yes", "y", "dead", "died", "deceased")
names(death_flag) <- ids
dm_all <- num_col("death_month"); dia <- num_col("dialysis_month"); tx <- num_col("transplant_month")
death_flag <- death_flag | !is.na(dm_all)
OUTCOMES <- c("egfr_decline_30", "egfr_decline_40", "creatinine_doubling", "eskd", "death",
              "composite")
kp <- list()
for (pid in ids) {
  v <- d[d$patient_id == pid, ]
  bm <- landmark_month(v, 0)
  g0 <- if (is.na(bm)) NA else v$egfr[v$month == bm]
  c0 <- if (is.na(bm)) NA else v$creatinine[v$month == bm]
  a <- v[v$month > 0, ]
  last <- max(v$month)
  ev <- c(
    egfr_decline_30 = sustained(a$month, a$egfr, function(y) leq(y, 0.7 * g0)),
    egfr_decline_40 = sustained(a$month, a$egfr, function(y) leq(y, 0.6 * g0)),
    creatinine_doubling = sustained(a$month, a$creatinine, function(y) geq(y, 2 * c0)))
  eskd <- c(sustained(a$month, a$egfr, function(y) y < 15), dia[[pid]], tx[[pid]])
  ev["eskd"] <- if (all(is.na(eskd))) NA else min(eskd, na.rm = TRUE)
  dm <- dm_all[[pid]]
  ev["death"] <- dm
  parts <- c(ev["egfr_decline_40"], ev["creatinine_doubling"], ev["eskd"], dm)
  ev["composite"] <- if (all(is.na(parts))) NA else min(parts, na.rm = TRUE)
  base <- c(egfr_decline_30 = g0, egfr_decline_40 = g0, creatinine_doubling = c0)
  for (o in OUTCOMES) {
    e <- as.numeric(!is.na(ev[[o]])); t <- if (e == 1) ev[[o]] else last
    if (o %in% names(base) && is.na(base[[o]])) { t <- NA; e <- 0 }
    if (death_flag[[pid]] && is.na(dm) && o %in% c("death", "composite") && e == 0) t <- NA
    if (!is.na(t) && t <= 0) t <- NA
    kp[[length(kp) + 1]] <- data.frame(outcome = o, patient_id = pid, group = group_of[[pid]],
                                       time = t, event = e)
  }
}
kp <- do.call(rbind, kp)
write_out(kp, "kidney_patients")
kt <- lapply(OUTCOMES, function(o) event_tables(kp[kp$outcome == o, ], o))
write_out(bind(kt, "summary"), "kidney_outcomes")
write_out(bind(kt, "curve"), "kidney_curve")
write_out(bind(kt, "risk"), "kidney_risk")
write_out(bind(kt, "tests"), "kidney_tests")

# --------------------------------------------------------------- steroid exposure
pulse_mg <- if ("steroid_pulse_mg" %in% names(d)) d$steroid_pulse_mg else rep(NA, nrow(d))
pulse_days <- if ("steroid_pulse_days" %in% names(d)) d$steroid_pulse_days else rep(NA, nrow(d))
d$pulse_g <- ifelse(!is.na(pulse_mg) & pulse_mg > 0 & !is.na(pulse_days),
                    pulse_mg * pulse_days / 1000, 0)
ex <- list()
for (pid in ids) {
  v <- d[d$patient_id == pid, ]
  cum_pulse <- cumsum(v$pulse_g)
  k <- which(!is.na(v$steroid_mg))
  if (!length(k)) next
  m <- v$month[k]; dose <- v$steroid_mg[k]
  iv <- c(NA, diff(m)); mean_d <- c(NA, (head(dose, -1) + dose[-1]) / 2)
  g <- mean_d * iv * DAYS_PER_MONTH / 1000
  oral <- cumsum(ifelse(is.na(g), 0, g))
  ex[[pid]] <- data.frame(patient_id = pid, group = group_of[[pid]], month = m,
                          steroid_mg = dose, interval_months = iv, interval_mean_mg_day = mean_d,
                          interval_g = g, cumulative_oral_g = oral,
                          cumulative_pulse_g = cum_pulse[k],
                          cumulative_g = oral + cum_pulse[k])
}
ex <- do.call(rbind, ex)
write_out(ex, "steroid_exposure")

# the exposure row at each patient's baseline / landmark visit
at <- list()
for (pid in unique(ex$patient_id)) {
  v <- d[d$patient_id == pid, ]
  for (L in c(0, LANDMARKS)) {
    lm <- landmark_month(v, L)
    r <- ex[ex$patient_id == pid & ex$month %in% lm, ]
    if (nrow(r)) at[[length(at) + 1]] <- cbind(landmark = L, r)
  }
}
at <- do.call(rbind, at)
describe <- function(x) {
  q <- quantile(x, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  data.frame(n = length(x), mean = mean(x), sd = if (length(x) > 1) sd(x) else NA,
             median = q[2], q1 = q[1], q3 = q[3])
}
cum <- list(); thr <- list()
for (g in c(GROUPS, ALL)) {
  s <- if (g == ALL) at else at[at$group == g, ]
  b <- s[s$landmark == 0, ]
  for (L in c(0, LANDMARKS)) {
    m <- s[s$landmark == L, ]
    if (!nrow(m)) next
    if (L > 0) {
      cum[[length(cum) + 1]] <- cbind(measure = "cumulative_g", landmark = L, group = g,
                                      describe(m$cumulative_g))
      cum[[length(cum) + 1]] <- cbind(measure = "cumulative_oral_g", landmark = L, group = g,
                                      describe(m$cumulative_oral_g))
      cum[[length(cum) + 1]] <- cbind(measure = "mean_daily_mg", landmark = L, group = g,
        describe(m$cumulative_oral_g * 1000 / (m$month * DAYS_PER_MONTH)))
    }
    for (t in c(7.5, 5)) {
      k <- sum(leq(m$steroid_mg, t)); n <- nrow(m)
      ci <- binom.test(k, n)$conf.int
      row <- data.frame(threshold_mg = t, landmark = L, group = g, n = n, n_at_or_below = k,
                        pct = 100 * k / n, ci_low = 100 * ci[1], ci_high = 100 * ci[2],
                        n_pairs = NA, newly_at_or_below = NA, no_longer_at_or_below = NA,
                        test = NA, p_value = NA)
      if (L > 0) {
        both <- merge(b[, c("patient_id", "steroid_mg")], m[, c("patient_id", "steroid_mg")],
                      by = "patient_id")
        b0 <- leq(both$steroid_mg.x, t); b1 <- leq(both$steroid_mg.y, t)
        nb <- sum(!b0 & b1); nc <- sum(b0 & !b1)
        row$n_pairs <- nrow(both); row$newly_at_or_below <- nb; row$no_longer_at_or_below <- nc
        if (nb + nc >= 25) {
          row$test <- "mcnemar"
          row$p_value <- mcnemar.test(matrix(c(sum(b0 & b1), nb, nc, sum(!b0 & !b1)), 2),
                                      correct = TRUE)$p.value
        } else if (nb + nc > 0) {
          row$test <- "exact binomial"; row$p_value <- binom.test(nb, nb + nc)$p.value
        } else row$test <- "exact binomial"
      }
      thr[[length(thr) + 1]] <- row
    }
  }
}
write_out(do.call(rbind, cum), "steroid_cumulative")
write_out(do.call(rbind, thr), "steroid_thresholds")

tp <- list()
for (pid in unique(ex$patient_id)) {
  b <- at[at$patient_id == pid & at$landmark == 0, ]
  if (!nrow(b) || leq(b$steroid_mg, 7.5)) next
  a <- ex[ex$patient_id == pid & ex$month > 0, ]
  if (!nrow(a)) next
  h <- leq(a$steroid_mg, 7.5)
  tp[[length(tp) + 1]] <- data.frame(patient_id = pid, group = group_of[[pid]],
                                     time = if (any(h)) a$month[h][1] else max(a$month),
                                     event = as.numeric(any(h)))
}
tp <- do.call(rbind, tp)
st <- event_tables(tp, "steroid_le_7_5")
write_out(st$summary, "steroid_target_time")
write_out(st$curve, "steroid_target_curve")
write_out(st$risk, "steroid_target_risk")
write_out(st$tests, "steroid_target_tests")
cat("written to", outdir, "\n")
