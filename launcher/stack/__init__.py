"""The deployed stack as the client sees it: its outputs, the AWS session, its image, and uploads into it.

`outputs.py` reads the stack (the outputs file or CloudFormation), `session.py` the AWS session every
call shares, `image.py` finds the training image, `data_upload.py` and `code_channel.py` put the data
set and a script's folder into the stack's buckets.
"""
