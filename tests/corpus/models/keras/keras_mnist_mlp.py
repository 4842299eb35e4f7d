import keras

from keras.models import Sequential
from keras.layers import Dense, Dropout

batch_size = 128
num_classes = 10

model = Sequential()
model.add(Dense(512, activation='relu', input_shape=(784,)))
model.add(Dropout(0.2))
model.add(Dense(512, activation='relu'))
model.add(Dropout(0.2))
model.add(Dense(num_classes, activation='softmax'))
