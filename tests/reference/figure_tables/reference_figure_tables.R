# Reference for the tables the charts draw (lab_landmark_values, lab_trajectories,
# data_completeness, steroid_trajectory), from ../cohort_long.csv and ../expected/landmark_visits.csv.
# Run from this folder: Rscript reference_figure_tables.R  (R stats only)
d <- read.csv("../cohort_long.csv", stringsAsFactors = FALSE)
lv <- read.csv("../expected/landmark_visits.csv", stringsAsFactors = FALSE)
labs <- c("upcr", "creatinine", "egfr", "albumin", "anti_dsdna", "c3", "c4", "sledai", "steroid_mg")
q7 <- function(x, p) unname(quantile(x, p, type = 7))
n_pat <- length(unique(d$patient_id))
grp <- d[!duplicated(d$patient_id), c("patient_id", "group")]

# data_completeness: share of visits of each whole month with the value recorded
comp <- do.call(rbind, lapply(labs, function(m) {
  do.call(rbind, lapply(sort(unique(round(d$month))), function(mo) {
    at <- d[round(d$month) == mo, ]
    data.frame(measure = m, month = mo, n_visits = nrow(at), n_recorded = sum(!is.na(at[[m]])),
               pct_recorded = 100 * mean(!is.na(at[[m]])))
  }))
}))
write.csv(comp, "data_completeness.csv", row.names = FALSE)

# lab_landmark_values: each measure at the landmark visit chosen in landmark_visits
lvv <- merge(lv[!is.na(lv$visit_month), ], d[, c("patient_id", "month", labs)],
             by.x = c("patient_id", "visit_month"), by.y = c("patient_id", "month"))
llv <- do.call(rbind, lapply(labs, function(m) {
  x <- lvv[!is.na(lvv[[m]]), ]
  data.frame(patient_id = x$patient_id, group = x$group, measure = rep(m, nrow(x)),
             landmark = x$landmark, visit_month = x$visit_month, value = x[[m]])
}))
write.csv(llv, "lab_landmark_values.csv", row.names = FALSE)

# lab_trajectories: scheduled months (attended, with the value, by >= 20% of patients);
# each visit to the nearest scheduled month (the lower on a tie) within 1.5 months; one visit
# per patient and month (nearest, then earlier); median and quartiles by group and All
summ <- function(v, g) {
  out <- data.frame(group = c(g, "All"), stringsAsFactors = FALSE)
  sets <- c(lapply(g, function(k) v$value[v$group == k]), list(v$value))
  cbind(out, n = sapply(sets, length), median = sapply(sets, median),
        q1 = sapply(sets, q7, 0.25), q3 = sapply(sets, q7, 0.75))
}
traj <- do.call(rbind, lapply(setdiff(labs, "steroid_mg"), function(m) {
  v <- d[!is.na(d[[m]]), c("patient_id", "month", m)]
  names(v)[3] <- "value"
  counts <- table(round(v$month))
  plan <- sort(as.numeric(names(counts)[counts >= max(1, 0.2 * n_pat)]))
  near <- sapply(v$month, function(x) plan[which.min(abs(plan - x))])  # first minimum: lower
  v$bin <- near
  v$dist <- abs(v$month - near)
  v <- v[v$dist <= 1.5, ]
  v <- v[order(v$patient_id, v$bin, v$dist, v$month), ]
  v <- v[!duplicated(v[, c("patient_id", "bin")]), ]
  v$group <- grp$group[match(v$patient_id, grp$patient_id)]
  do.call(rbind, lapply(plan, function(b) {
    at <- v[v$bin == b, ]
    cbind(measure = m, month = b, summ(at, sort(unique(at$group))))
  }))
}))
write.csv(traj, "lab_trajectories.csv", row.names = FALSE)

# steroid_trajectory: dose at the visits of each (exact) visit month, by group and All
s <- d[!is.na(d$steroid_mg), c("patient_id", "group", "month", "steroid_mg")]
names(s)[4] <- "value"
st <- do.call(rbind, lapply(sort(unique(s$month)), function(mo) {
  at <- s[s$month == mo, ]
  cbind(month = mo, summ(at, sort(unique(at$group))))
}))
write.csv(st, "steroid_trajectory.csv", row.names = FALSE)
