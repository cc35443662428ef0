from locust import HttpUser, LoadTestShape, constant_throughput, task
class U(HttpUser):
    wait_time = constant_throughput(1)  # one request per user per second
    @task
    def hit(self):
        self.client.get("/")
class Step(LoadTestShape):
    # 2 users for 10 s, then 10 users until 30 s: a step in offered load.
    def tick(self):
        t = self.get_run_time()
        if t < 10: return (2, 10)
        if t < 30: return (10, 10)
        return None
