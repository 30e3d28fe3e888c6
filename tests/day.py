"""A hospital morning driven through the API only: reception checks patients in, patients pay
and say "I'm here", nurses start and finish each exam, the injected clock moves between rounds.

Used where a test needs a real day's rows and logs (metrics, logs, the dashboard, the report).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.conftest import check_in_body

# Orders for the morning's patients, in turn (a mix of labs, imaging, ECG and a return visit).
ORDERS = (
    ("GLU", "US-ABD", "ECG"),
    ("ECG",),
    ("LIPID", "ECG", "FOLLOWUP"),
    ("US-ABD",),
    ("GLU", "ECG"),
)
IN_LINE = ("arrived", "called", "on-hold", "in-service")
PATIENT_NAMES = ("王秀英", "Li Wei", "张伟", "Chen Jing", "刘洋", "Zhao Min", "黄丽", "Zhou Tao")


@dataclass
class Patient:
    journey: dict
    name: str
    mrn: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Day:
    client: object
    clock: object
    reception: dict[str, str]
    nurse: dict[str, str]
    patients: list[Patient] = field(default_factory=list)

    def check_in(self, count: int, start: int = 0) -> None:
        for n in range(start, start + count):
            name, mrn = PATIENT_NAMES[n % len(PATIENT_NAMES)], f"MRN-DAY-{n:04d}"
            body = check_in_body(*ORDERS[n % len(ORDERS)], visit=f"V-DAY-{n:04d}", mrn=mrn, name=name)
            body["patient"]["fasting_confirmed"] = True
            answer = self.client.post("/api/v1/journeys", json=body, headers=self.reception)
            assert answer.status_code == 201, answer.json
            self.patients.append(Patient(answer.json, name, mrn, answer.json["access_token"]))

    def round(self, minutes: int = 5) -> int:
        """Each patient takes one step forward if they can; then time passes. Returns steps taken."""
        taken = sum(self._advance(patient) for patient in self.patients)
        self.clock.advance(minutes=minutes)
        return taken

    def run(self, rounds: int, minutes: int = 5) -> None:
        for _ in range(rounds):
            self.round(minutes)

    def _advance(self, patient: Patient) -> bool:
        journey_id = patient.journey["id"]
        fresh = self.client.get(f"/api/v1/journeys/{journey_id}", headers=patient.headers).json
        started = [
            t for t in fresh["tasks"] if t["business_status"] in IN_LINE or t["status"] == "in-progress"
        ]
        task = next(iter(started), None) or next((t for t in fresh["tasks"] if t["status"] == "ready"), None)
        if task is None:
            return False
        if task["self_service"]:
            url = f"/api/v1/journeys/{journey_id}/tasks/{task['id']}/complete"
            return self.client.post(url, headers=patient.headers).status_code == 200
        if task["status"] == "ready" and task["business_status"] not in IN_LINE:
            url = f"/api/v1/journeys/{journey_id}/tasks/{task['id']}/arrive"
            return self.client.post(url, headers=patient.headers).status_code == 200
        entry = self._entry(task)
        if entry is None:
            return False
        action = "complete" if entry["status"] == "in_service" else "start"
        answer = self.client.post(f"/api/v1/queues/entries/{entry['id']}/{action}", headers=self.nurse)
        return answer.status_code == 200

    def _entry(self, task: dict) -> dict | None:
        board = self.client.get(f"/api/v1/queues/rooms/{task['room']['code']}", headers=self.nurse).json
        return next((e for e in board.get("entries", []) if e["task_id"] == task["id"]), None)
