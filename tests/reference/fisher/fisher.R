# Reference p-values of Fisher's exact test on r x c tables (R's fisher.test, FEXACT
# network algorithm; workspace large enough that every table here is exact).
# Run from this directory: Rscript fisher.R  -> fisher_rxc.csv
# Tables are written row by row: rows separated by "/", cells by " ".
tables <- list(
  # Table 1 of the four-group validation cohort: ISN/RPS class by group (90 patients),
  # rows new-onset, partial, refractory, relapse; columns III, III+V, IV, IV+V, V
  table1_class_4x5 = rbind(c(1, 1, 8, 6, 3), c(2, 1, 9, 1, 3), c(5, 3, 14, 4, 7),
                           c(5, 0, 11, 3, 3)),
  table1_sex_4x2 = rbind(c(14, 5), c(15, 1), c(30, 3), c(18, 4)),
  two_by_two = rbind(c(17, 29), c(28, 9)),
  two_by_three = rbind(c(3, 1, 4), c(2, 6, 1)),
  two_by_six = rbind(c(12, 5, 9, 3, 0, 7), c(4, 10, 6, 8, 5, 2)),
  two_by_five_1000 = rbind(c(100, 110, 90, 120, 95), c(100, 95, 110, 80, 100)),
  three_by_two = rbind(c(8, 2), c(3, 9), c(5, 5)),
  three_by_three = rbind(c(5, 0, 2), c(0, 5, 2), c(3, 3, 3)),
  ties_2x4 = rbind(c(1, 2, 3, 4), c(4, 3, 2, 1)),
  zero_row = rbind(c(3, 5, 1), c(0, 0, 0), c(6, 1, 4)),
  zero_col = rbind(c(3, 0, 5, 1), c(6, 0, 1, 4), c(2, 0, 2, 7)),
  zero_row_and_col = rbind(c(0, 0, 0, 0), c(4, 0, 2, 9), c(1, 0, 7, 3)),
  one_nonempty_row = rbind(c(0, 0, 0), c(2, 3, 4)),
  three_by_four_150 = rbind(c(12, 8, 15, 5), c(9, 14, 10, 11), c(20, 6, 13, 27)),
  four_by_four_120 = rbind(c(10, 4, 7, 9), c(3, 12, 6, 8), c(8, 5, 11, 6), c(6, 9, 4, 12)),
  five_by_five_sparse = rbind(c(3, 0, 1, 0, 2), c(0, 4, 0, 1, 0), c(1, 0, 5, 0, 1),
                              c(0, 2, 0, 3, 0), c(2, 0, 1, 0, 4)),
  six_by_six_50 = rbind(c(3, 1, 2, 0, 1, 2), c(1, 3, 0, 2, 1, 1), c(2, 0, 3, 1, 2, 0),
                        c(0, 2, 1, 3, 0, 2), c(1, 1, 2, 0, 3, 1), c(2, 1, 0, 2, 1, 3)),
  # R needs ~10 s for this one; it is beyond the app's work budget (the app then reports
  # chi-square, named as such): column beyond_budget
  skewed_3x6_300 = rbind(c(40, 25, 10, 5, 3, 1), c(35, 30, 15, 8, 2, 2),
                         c(30, 28, 20, 12, 6, 4)),
  strong_association_4x4 = rbind(c(15, 2, 1, 0), c(2, 14, 3, 1), c(0, 2, 16, 2),
                                 c(1, 0, 2, 13))
)
beyond_budget <- c("skewed_3x6_300")
flat <- function(m) paste(apply(m, 1, paste, collapse = " "), collapse = "/")
out <- do.call(rbind, lapply(names(tables), function(k) {
  m <- tables[[k]]
  p <- fisher.test(m, workspace = 2e8)$p.value
  data.frame(name = k, table = flat(m), p_value = sprintf("%.17g", p),
             beyond_budget = k %in% beyond_budget)
}))
write.csv(out, "fisher_rxc.csv", row.names = FALSE)
