"""How a handler says its failure should be treated."""


class NonRetryableError(Exception):
    """Fails the job for good: raise it when running the job again cannot help (a bad payload).

    Any other exception is retryable: the job runs again until its attempt budget is spent.
    """
