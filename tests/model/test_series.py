from kmon.model.series import Series


def test_merge_keeps_order_replaces_duplicates_and_bounds_length():
    s = Series(maxlen=3)
    s.merge([(120, 2.0), (60, 1.0)])
    s.merge([(120, 5.0), (180, 3.0), (240, 4.0)])
    assert s.points() == [(120, 5.0), (180, 3.0), (240, 4.0)]
    assert s.latest() == (240, 4.0)
    assert s.get(60) is None


def test_latest_respects_freshness_and_prune_drops_old_points():
    s = Series()
    s.merge([(0, 1.0), (60, 2.0)])
    assert s.latest(not_before=120) is None
    s.prune(60)
    assert s.points() == [(60, 2.0)]
    assert s.max() == 2.0
    assert Series().max() is None
