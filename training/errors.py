"""The one exception type whose message a user sees as is."""


class JobError(Exception):
    """A problem with the job's inputs, told in one plain sentence.

    The entry point prints it, writes it to the failure file and exits non-zero,
    without a traceback: the user can fix it from the sentence alone.
    """
