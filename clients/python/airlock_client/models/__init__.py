"""Contains all the data models used in inputs/outputs"""

from .active_task_read import ActiveTaskRead
from .alert_page import AlertPage
from .alert_read import AlertRead
from .alert_read_details import AlertReadDetails
from .alert_state import AlertState
from .audit_event_page import AuditEventPage
from .audit_event_read import AuditEventRead
from .audit_event_read_details_type_0 import AuditEventReadDetailsType0
from .body_log_in import BodyLogIn
from .cache_clear_read import CacheClearRead
from .cache_stats_read import CacheStatsRead
from .error import Error
from .gap_read import GapRead
from .inbound_read import InboundRead
from .job_read import JobRead
from .job_run_read import JobRunRead
from .liveness_response_liveness import LivenessResponseLiveness
from .outbound_read import OutboundRead
from .password_update import PasswordUpdate
from .quarantined_read import QuarantinedRead
from .quota_read import QuotaRead
from .request_create import RequestCreate
from .request_create_parameters import RequestCreateParameters
from .request_detail import RequestDetail
from .request_detail_parameters import RequestDetailParameters
from .request_event_read import RequestEventRead
from .request_monitor import RequestMonitor
from .request_monitor_counts import RequestMonitorCounts
from .request_page import RequestPage
from .request_read import RequestRead
from .request_read_parameters import RequestReadParameters
from .request_status import RequestStatus
from .request_type_quota import RequestTypeQuota
from .request_type_read import RequestTypeRead
from .request_type_read_parameter_schema import RequestTypeReadParameterSchema
from .requeue_read import RequeueRead
from .response_read import ResponseRead
from .role import Role
from .rule import Rule
from .tasks_read import TasksRead
from .token_read import TokenRead
from .transfer_read import TransferRead
from .user_page import UserPage
from .user_read import UserRead
from .user_read_limit_overrides_type_0 import UserReadLimitOverridesType0
from .validation_issue import ValidationIssue
from .window_quota import WindowQuota
from .worker_read import WorkerRead

__all__ = (
    "ActiveTaskRead",
    "AlertPage",
    "AlertRead",
    "AlertReadDetails",
    "AlertState",
    "AuditEventPage",
    "AuditEventRead",
    "AuditEventReadDetailsType0",
    "BodyLogIn",
    "CacheClearRead",
    "CacheStatsRead",
    "Error",
    "GapRead",
    "InboundRead",
    "JobRead",
    "JobRunRead",
    "LivenessResponseLiveness",
    "OutboundRead",
    "PasswordUpdate",
    "QuarantinedRead",
    "QuotaRead",
    "RequestCreate",
    "RequestCreateParameters",
    "RequestDetail",
    "RequestDetailParameters",
    "RequestEventRead",
    "RequestMonitor",
    "RequestMonitorCounts",
    "RequestPage",
    "RequestRead",
    "RequestReadParameters",
    "RequestStatus",
    "RequestTypeQuota",
    "RequestTypeRead",
    "RequestTypeReadParameterSchema",
    "RequeueRead",
    "ResponseRead",
    "Role",
    "Rule",
    "TasksRead",
    "TokenRead",
    "TransferRead",
    "UserPage",
    "UserRead",
    "UserReadLimitOverridesType0",
    "ValidationIssue",
    "WindowQuota",
    "WorkerRead",
)
