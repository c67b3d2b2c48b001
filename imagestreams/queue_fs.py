"""The embedded broker (`CELERY_BROKER_URL=filesystem://`): kombu's
filesystem transport, with each message written under a temporary name and
renamed into the queue folder when complete.

kombu 5.7 creates the message file in the queue folder and then writes it;
a worker that lists the folder in between takes the empty file, fails to
decode it and stops ("Unrecoverable error: JSONDecodeError"), and
`manage.py serve` then stops everything. The faster the workers poll, the
likelier: at 0.1 s the benchmark's push runs hit it within a few hundred
messages. A rename within one folder is atomic, so a worker sees a whole
message or none.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot: the consumer's `<anything>.<queue>.msg` never matches it.
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
