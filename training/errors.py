"""The one exception type whose message a user sees as is."""


class JobError(Exception):
    """A problem with the job's inputs, told in one plain sentence.

    The entry point prints it, writes it to the failure file and exits non-zero,
    without a traceback: the user can fix it from the sentence alone.
    """


class ScriptExited(JobError):
    """The user's own program (program=script) ended non-zero: its status becomes the job's.

    The message is what SageMaker shows as FailureReason: the status and the last lines the
    script wrote to stderr, already cut to fit the 1024 characters SageMaker keeps.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
