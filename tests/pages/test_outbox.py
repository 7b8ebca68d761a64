"""The sender's queue alone: order, one entry per transaction id, failures kept until retried or discarded."""

from pages.chat.outbox import Outbox, State


def test_sends_leave_in_order_and_a_repeated_id_is_queued_once() -> None:
    outbox = Outbox()
    assert outbox.add('t1', 'one') is not None
    assert outbox.add('t2', 'two') is not None
    assert outbox.add('t1', 'one again') is None
    first = outbox.next()
    assert first is not None and first.txn == 't1' and first.state is State.SENDING
    second = outbox.next()
    assert second is not None and second.text == 'two'
    assert outbox.next() is None


def test_a_failed_send_waits_for_retry_and_keeps_its_place() -> None:
    outbox = Outbox()
    outbox.add('t1', 'one')
    outbox.add('t2', 'two')
    assert outbox.next() is not None
    outbox.fail('t1', 'the server is busy')
    assert next((p.txn, p.state, p.reason) for p in outbox) == ('t1', State.FAILED, 'the server is busy')
    assert not outbox.retry('t2')  # only a failed send can be retried
    assert outbox.retry('t1')
    retried = outbox.next()
    assert retried is not None and retried.txn == 't1'
    outbox.done('t1')
    assert [p.txn for p in outbox] == ['t2']
