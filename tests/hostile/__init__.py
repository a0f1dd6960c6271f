"""The hostile-file corpus: ``make_corpus.corpus()`` and the helpers the tests share."""
