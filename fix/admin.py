"""Bodies of the session-level messages, as field lists (no header, no I/O)."""

from __future__ import annotations

from fix import tags as t
from fix.message import Field
from fix.values import to_bytes


def logon(
    heartbeat: int, reset: bool, username: str | None = None, password: str | None = None
) -> list[Field]:
    body: list[Field] = [(t.ENCRYPT_METHOD, b"0"), (t.HEART_BT_INT, b"%d" % heartbeat)]
    if reset:
        body.append((t.RESET_SEQ_NUM_FLAG, b"Y"))
    if username:
        body.append((t.USERNAME, username.encode()))
    if password:
        body.append((t.PASSWORD, password.encode()))
    return body


def logout(text: str | None = None) -> list[Field]:
    return [(t.TEXT, text.encode())] if text else []


def heartbeat(test_req_id: bytes | None = None) -> list[Field]:
    return [(t.TEST_REQ_ID, test_req_id)] if test_req_id is not None else []


def test_request(test_req_id: str) -> list[Field]:
    return [(t.TEST_REQ_ID, test_req_id.encode())]


def resend_request(begin: int, end: int) -> list[Field]:
    return [(t.BEGIN_SEQ_NO, b"%d" % begin), (t.END_SEQ_NO, b"%d" % end)]


def gap_fill(new_seq_no: int) -> list[Field]:
    return [(t.GAP_FILL_FLAG, b"Y"), (t.NEW_SEQ_NO, b"%d" % new_seq_no)]


def reject(
    ref_seq: int,
    reason: int,
    text: str,
    ref_tag: int | None = None,
    ref_msg_type: bytes | None = None,
    begin_string: str = "FIX.4.4",
) -> list[Field]:
    """Session-level Reject; FIX 4.2 and later carry SessionRejectReason (373)."""
    body: list[Field] = [(t.REF_SEQ_NUM, b"%d" % ref_seq)]
    if ref_tag is not None:
        body.append((t.REF_TAG_ID, b"%d" % ref_tag))
    if ref_msg_type:
        body.append((t.REF_MSG_TYPE, ref_msg_type))
    if begin_string >= "FIX.4.2":
        body.append((t.SESSION_REJECT_REASON, b"%d" % reason))
    body.append((t.TEXT, to_bytes(text)))
    return body


def business_reject(
    ref_seq: int | None,
    ref_msg_type: bytes,
    reason: int,
    text: str,
    ref_id: str | None = None,
) -> list[Field]:
    body: list[Field] = []
    if ref_seq is not None:
        body.append((t.REF_SEQ_NUM, b"%d" % ref_seq))
    body.append((t.REF_MSG_TYPE, ref_msg_type))
    if ref_id:
        body.append((t.BUSINESS_REJECT_REF_ID, ref_id.encode()))
    body.append((t.BUSINESS_REJECT_REASON, b"%d" % reason))
    body.append((t.TEXT, to_bytes(text)))
    return body
