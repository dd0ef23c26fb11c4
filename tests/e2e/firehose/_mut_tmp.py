import test_crash as t, harness
orig = t.FirehoseCrash.settle
def settle(self, label):
    keys = orig(self, label)
    k = sorted(keys)[0]
    s3 = harness.boto3_client(self.server, "s3")
    s3.copy_object(Bucket=t.BUCKET, Key=t.PREFIX + "zz-dup", CopySource={"Bucket": t.BUCKET, "Key": k})
    return self.listing()
t.FirehoseCrash.settle = settle
harness.main("test_crash")
